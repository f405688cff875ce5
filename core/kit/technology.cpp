#include "core/kit/technology.h"

#include <array>
#include <cmath>

namespace xbarsim::kit {
namespace {

struct NodeFactors {
  double nm, energy, area;  // relative to 45 nm
};

// Source: Stillmaker & Baas, Integration 58 (2017). Area: the paper's
// scaling table (as transcribed in Accelergy's hwcomponents techscaling and
// in nodeScale). Energy: the paper's per-node energy fits (e·V² + f·V + g,
// HP models) evaluated at each node's nominal supply (1.8 V at 180 nm ...
// 0.7 V at 7 nm), relative to 45 nm at 1.0 V.
constexpr std::array<NodeFactors, 11> kNodes = {{
    {7, 0.056, 0.059},
    {10, 0.082, 0.10},
    {14, 0.11, 0.17},
    {16, 0.16, 0.19},
    {20, 0.23, 0.21},
    {32, 0.53, 0.46},
    {45, 1.0, 1.0},
    {65, 1.95, 1.5},
    {90, 3.73, 2.8},
    {130, 7.32, 6.4},
    {180, 30.6, 19.0},
}};

double factor(double nm, bool energy) {
  std::size_t k = 1;
  while (k + 1 < kNodes.size() && kNodes[k].nm < nm) ++k;
  const auto& a = kNodes[k - 1];
  const auto& b = kNodes[k];
  const double fa = energy ? a.energy : a.area, fb = energy ? b.energy : b.area;
  const double t = (std::log(nm) - std::log(a.nm)) / (std::log(b.nm) - std::log(a.nm));
  return std::exp(std::log(fa) + t * (std::log(fb) - std::log(fa)));
}

}  // namespace

double energy_scale(double ref_nm, double node_nm) {
  return factor(node_nm, true) / factor(ref_nm, true);
}

double area_scale(double ref_nm, double node_nm) {
  return factor(node_nm, false) / factor(ref_nm, false);
}

}  // namespace xbarsim::kit
