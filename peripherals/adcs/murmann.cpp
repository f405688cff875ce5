#include "peripherals/adcs/murmann.h"

#include <algorithm>
#include <cmath>

namespace xbarsim::peripherals {

// Source: Accelergy ADC plug-in regression over B. Murmann, "ADC Performance
// Survey 1997-2023" (Stanford); constants as in the plug-in's adc_data/model.yaml
// (docs/models.md, "Peripherals").
double murmann_energy_pj(double enob, double f_s_hz) {
  const double fom_db = std::min(302.74 - 6.4608 * std::log(f_s_hz), 180.14);
  const double sndr_db = 6.02 * enob + 1.76;
  return 1e12 / (2.0 * std::pow(10.0, (fom_db - sndr_db) / 10.0));
}

double murmann_area_um2(double enob, double f_s_hz, double node_nm, double energy_pj) {
  return std::exp(4.8506 + 0.0667 * std::log(f_s_hz) + 0.7973 * std::log(node_nm) - 0.1344 * enob +
                  0.4237 * std::log(energy_pj));
}

// Source: Accelergy-Project/hwcomponents-adc model.yaml (the ADC plug-in's
// 2024 refit over the same survey), as read for this project.
double murmann2024_energy_pj(double enob, double f_s_hz, double node_nm) {
  const double fom_db =
      std::min(213.7807 - 2.87190 * std::log(f_s_hz), 128.3068 + 3.22051 * std::ceil(enob));
  const double sndr_db = 6.02 * enob + 1.76;
  const double bound_j = 1.0 / (2.0 * std::pow(10.0, (fom_db - sndr_db) / 10.0));
  return bound_j *
         std::exp(26.0496 + 1.88004 * std::log(node_nm) - 2.82913 * std::log(enob) - 1.47020);
}

double murmann2024_area_um2(double f_s_hz, double node_nm, double energy_pj) {
  return std::exp(1.34619 + 0.993279 * std::log(node_nm) + 0.180715 * std::log(f_s_hz) +
                  0.299124 * std::log(energy_pj));
}

}  // namespace xbarsim::peripherals
