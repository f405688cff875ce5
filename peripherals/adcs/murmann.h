#pragma once
// ADC energy and area from the regression over B. Murmann's ADC performance
// survey (1997-2023) used by Accelergy's ADC plug-in; see docs/models.md, "Peripherals".
//
// Contract: enob in bits, f_s_hz in conversions per second, node_nm in nm;
// energy in pJ per conversion, area in µm² per ADC.
namespace xbarsim::peripherals {

// Schreier figure of merit FOM_S = min(302.74 - 6.4608·ln f_s, 180.14) dB,
// SNDR = 6.02·enob + 1.76 dB, E = 1 / (2·10^((FOM_S - SNDR)/10)) J.
double murmann_energy_pj(double enob, double f_s_hz);
// ln A = 4.8506 + 0.0667·ln f_s + 0.7973·ln node - 0.1344·enob + 0.4237·ln E[pJ].
double murmann_area_um2(double enob, double f_s_hz, double node_nm, double energy_pj);

// The plug-in's 2024 refit (hwcomponents-adc): node-dependent energy, bits >= 4.
// FOM_S = min(213.7807 - 2.87190·ln f_s, 128.3068 + 3.22051·ceil(enob)) dB,
// E[pJ] = 1/(2·10^((FOM_S - SNDR)/10)) · exp(26.0496 + 1.88004·ln node - 2.82913·ln enob
// - 1.47020); ln A = 1.34619 + 0.993279·ln node + 0.180715·ln f_s + 0.299124·ln E[pJ].
double murmann2024_energy_pj(double enob, double f_s_hz, double node_nm);
double murmann2024_area_um2(double f_s_hz, double node_nm, double energy_pj);

}  // namespace xbarsim::peripherals
