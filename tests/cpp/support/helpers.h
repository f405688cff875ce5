#pragma once
// Shared by the Catch2 tests: seeded random matrices, and registries of one
// layer's variants, so a test of arrays/ or peripherals/ needs nothing above.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "arrays/register.h"
#include "core/kit/json.h"
#include "core/kit/ndarray.h"
#include "core/kit/registry.h"
#include "core/kit/rng.h"
#include "peripherals/register.h"

namespace xbarsim::test {

// The source tree: data/mnist (the digits ./test fetched), data/weights (the
// training cache shared with ./run), configs/.
inline const std::string kSource = XBARSIM_SOURCE_DIR;

// evaluation.dataset for the MNIST digits ./test fetched (data/mnist).
inline kit::Json mnist_dataset() {
  const std::string d = kSource + "/data/mnist/";
  return {{"train_images", d + "train-images-idx3-ubyte"},
          {"train_labels", d + "train-labels-idx1-ubyte"},
          {"test_images", d + "t10k-images-idx3-ubyte"},
          {"test_labels", d + "t10k-labels-idx1-ubyte"}};
}

// Standard errors a sampled statistic may stray from its expectation.
inline constexpr double kZ = 5.0;

// r x c draws from s: standard normal, or uniform in [0, 1).
inline kit::NdArray random_matrix(std::size_t r, std::size_t c, const kit::Stream& s,
                                  bool uniform = false) {
  kit::NdArray a{{r, c}, std::vector<double>(r * c)};
  if (uniform) {
    s.fill_uniform(std::span<double>(a.data));
  } else {
    s.fill_normal(std::span<double>(a.data));
  }
  return a;
}

// r x c standard normal draws from the stream (seed, "test", "matrix").
inline kit::NdArray gaussian(std::size_t r, std::size_t c, std::uint64_t seed) {
  return random_matrix(r, c, kit::Stream(seed, "test", "matrix"));
}

inline kit::Registry arrays_registry() {
  kit::Registry r;
  arrays::register_variants(r);
  return r;
}

inline kit::Registry peripherals_registry() {
  kit::Registry r;
  peripherals::register_variants(r);
  return r;
}

}  // namespace xbarsim::test
