#pragma once
// How device read noise enters a VMM.
//  per_device       every device gets a fresh Gaussian draw on every read (reference)
//  output_referred  the same in distribution, drawn per output: independent
//                   Gaussian device noise makes each column output Gaussian with
//                   variance Σ_i x_i²·σ_ij², computed with a second GEMM
//  off              reads are noiseless
#include <string>
#include <vector>

#include "core/kit/json.h"
#include "core/kit/params.h"

namespace xbarsim::arrays {

enum class ReadNoiseMode { kPerDevice, kOutputReferred, kOff };

struct ReadNoiseSpec {
  ReadNoiseMode mode = ReadNoiseMode::kOutputReferred;

  static std::vector<kit::ParamInfo> params() {
    return {kit::choice_param("mode", "output_referred", {"per_device", "output_referred", "off"},
                              "per_device (reference), output_referred (exact in distribution, "
                              "fast) or off")};
  }
  static ReadNoiseSpec from_json(const kit::Json& j) {
    const auto m = j.at("mode").get<std::string>();
    return {m == "per_device" ? ReadNoiseMode::kPerDevice
            : m == "off"      ? ReadNoiseMode::kOff
                              : ReadNoiseMode::kOutputReferred};
  }
};

}  // namespace xbarsim::arrays
