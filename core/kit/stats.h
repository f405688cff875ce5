#pragma once
// Mean, sample standard deviation and standard error over trials, and the
// least-squares straight line through points, each summed in the order the
// values come (the same bits for any thread count that produced them).
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

// The least-squares line y = intercept + slope·x through points added one
// at a time.
class LineFit {
 public:
  void add(double x, double y) {
    n_ += 1;
    sx_ += x;
    sy_ += y;
    sxx_ += x * x;
    sxy_ += x * y;
  }
  double count() const { return n_; }
  // False when the x's are all (numerically) equal: no slope is defined.
  bool has_slope() const { return n_ > 0 && den() > 1e-12 * n_ * sxx_; }
  double slope() const { return (n_ * sxy_ - sx_ * sy_) / den(); }
  double intercept() const { return (sy_ - slope() * sx_) / n_; }
  double mean_y() const { return sy_ / n_; }
  // The least-squares slope of y = slope·x (a line through the origin).
  double slope_through_origin() const { return sxy_ / sxx_; }

 private:
  double den() const { return n_ * sxx_ - sx_ * sx_; }
  double n_ = 0, sx_ = 0, sy_ = 0, sxx_ = 0, sxy_ = 0;
};

}  // namespace xbarsim::kit
