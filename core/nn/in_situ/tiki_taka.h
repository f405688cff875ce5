#pragma once
// Tiki-Taka's transfer (TikiTakaSpec): the next `reads` rows of the fast
// array, each read through the periphery `io` with a one-hot input, added to
// the slow array by the pulse rule: slow[c, :] += lr·fast[c, :] (in
// expectation for the stochastic rule, to the nearest pulse for pulse
// counts). next_row cycles over the rows.
#include "core/nn/in_situ/in_situ.h"
#include "core/nn/in_situ/pulsed_array.h"
#include "core/nn/in_situ/rules/rules.h"

namespace xbarsim::nn {

void tiki_taka_transfer(const PulsedArray& fast, PulsedArray& slow, std::size_t& next_row,
                        std::size_t reads, const PulseRule& rule, const IoSpec& io, double lr,
                        double worst_case, const kit::Stream& key);

}  // namespace xbarsim::nn
