#pragma once
// The refresh of one-sided pairs (aihwkit's OneSidedUnitCell): both devices
// of every row are read through the periphery with one-hot inputs; a pair
// whose larger device is above `upper`·w_max and whose smaller one is above
// `lower`·w_max (w_max the law's mean bound) has both devices reset, and the
// difference read is written back onto one of them by the pulse rule.
#include "core/nn/in_situ/in_situ.h"
#include "core/nn/in_situ/pulsed_array.h"
#include "core/nn/in_situ/rules/rules.h"

namespace xbarsim::nn {

// Returns the pairs refreshed; the reads and resets go to a.totals().
std::size_t refresh_pairs(PulsedArray& a, double upper, double lower, const PulseRule& rule,
                          const IoSpec& io, double worst_case, const kit::Stream& key);

}  // namespace xbarsim::nn
