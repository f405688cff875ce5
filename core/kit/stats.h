#pragma once
// Mean, sample standard deviation and standard error over trials, summed in
// index order (the same bits for any thread count that produced them).
#include <cmath>
#include <vector>

namespace xbarsim::kit {

struct Summary {
  double mean = 0;
  double std = 0;  // sample standard deviation (n - 1); 0 for a single value
  double sem = 0;  // standard error of the mean, std / sqrt(n)
};

inline Summary summarize(const std::vector<double>& v) {
  Summary s;
  if (v.empty()) return s;
  for (const double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  double ss = 0;
  for (const double x : v) ss += (x - s.mean) * (x - s.mean);
  s.std = v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0.0;
  s.sem = s.std / std::sqrt(static_cast<double>(v.size()));
  return s;
}

}  // namespace xbarsim::kit
