#pragma once
// Runs a scope with serial OpenMP (and so serial Eigen), restoring the
// thread count on exit: for work that runs side by side on oneTBB tasks
// (trials, sweep points), and for the trainer, whose sums must not depend on
// the thread count.
#include <omp.h>

namespace xbarsim::arch {

class SerialOpenMp {
 public:
  SerialOpenMp() : saved_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~SerialOpenMp() { omp_set_num_threads(saved_); }
  SerialOpenMp(const SerialOpenMp&) = delete;
  SerialOpenMp& operator=(const SerialOpenMp&) = delete;

 private:
  int saved_;
};

}  // namespace xbarsim::arch
