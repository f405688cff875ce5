#pragma once
// The periphery of an in-situ read (IoSpec): y = α·F(x/α · W), α = max |x|
// per row, with the DAC, ADC, output noise and bound of one direction.
//
// Contract: x is n x k, w is k x m (transposed: m x k, read as x·wᵀ); the
// output is n x m. noise keys the output noise: value (attempt·n + b)·m + j
// for row b, column j. worst_case is the output bound used when
// io.out_bound is 0. Stateless; thread-safe.
#include "core/kit/rng.h"
#include "core/nn/in_situ/in_situ.h"
#include "peripherals/dac.h"

namespace xbarsim::nn {

using peripherals::RowMatrixF;

RowMatrixF analog_product(const RowMatrixF& x, const RowMatrixF& w, bool transposed,
                          const IoSpec& io, const kit::Stream& noise, double worst_case);

// Row r of w read with a one-hot input e_r (1 x m): exactly
// analog_product(e_r, w, false, io without bound management, noise,
// worst_case), without the product.
RowMatrixF one_hot_read(const RowMatrixF& w, std::size_t r, const IoSpec& io,
                        const kit::Stream& noise, double worst_case);

}  // namespace xbarsim::nn
