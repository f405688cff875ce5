#pragma once
// Work side by side without results that depend on the thread count.
//
// SerialOpenMp runs a scope with serial OpenMP (and so serial Eigen),
// restoring the thread count on exit: for work that runs side by side on
// oneTBB tasks (trials, sweep points), and for the trainer, whose sums must
// not depend on the thread count. run_trials runs independent trials that
// way; callers write trial t's results to slot t, so they are gathered in
// trial order whatever ran when.
#include <omp.h>
#include <oneapi/tbb/parallel_for.h>

#include <cstddef>

namespace xbarsim::kit {

class SerialOpenMp {
 public:
  SerialOpenMp() : saved_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~SerialOpenMp() { omp_set_num_threads(saved_); }
  SerialOpenMp(const SerialOpenMp&) = delete;
  SerialOpenMp& operator=(const SerialOpenMp&) = delete;

 private:
  int saved_;
};

// fn(0), ..., fn(n - 1): a single trial on the caller's thread (its OpenMP
// threads free to work inside it), more side by side on oneTBB, each serial.
template <class Fn>
void run_trials(std::size_t n, Fn&& fn) {
  if (n == 1) {
    fn(std::size_t{0});
    return;
  }
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t t) {
    const SerialOpenMp serial;
    fn(t);
  });
}

}  // namespace xbarsim::kit
