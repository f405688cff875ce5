#pragma once
// Wall-clock seconds since construction (steady clock), for the reports'
// "seconds" blocks.
#include <chrono>

namespace xbarsim::kit {

class Stopwatch {
 public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace xbarsim::kit
