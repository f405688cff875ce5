#pragma once
// CMOS technology scaling of digital and mixed-signal costs between nodes,
// from Stillmaker & Baas, "Scaling equations for the accurate prediction of
// CMOS device performance from 180 nm to 7 nm", Integration 58 (2017) 74-81.
//
// Contract: node_nm in [7, 180]; factors multiply a cost known at ref_nm to
// give it at node_nm; between tabulated nodes they interpolate log-log.
namespace xbarsim::kit {

inline constexpr double kMinNodeNm = 7.0, kMaxNodeNm = 180.0;

double energy_scale(double ref_nm, double node_nm);
double area_scale(double ref_nm, double node_nm);

}  // namespace xbarsim::kit
