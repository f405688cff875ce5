#include "peripherals/adc.h"

#include <algorithm>
#include <cmath>

#include "core/kit/error.h"

namespace xbarsim::peripherals {

std::vector<kit::ParamInfo> AdcSpec::common_params() {
  using namespace kit;
  return {
      int_param("bits", 8, 1, 16, "resolution; 1 is a comparator (sign)"),
      choice_param("range", "full_scale", {"full_scale", "calibrated", "fixed"},
                   "full scale: worst case of the array, a percentile of calibration signals, "
                   "or full_scale_ua"),
      positive_param("full_scale_ua", 100.0, "uA",
                     "column current at the top code (range "
                     "\"fixed\")"),
      number_param("percentile", 99.9, "%",
                   "of |signal| on calibration inputs (range "
                   "\"calibrated\")",
                   50.0, 100.0),
      choice_param("range_scope", "per_array", {"per_array", "per_column"},
                   "calibrated range: one for the whole crossbar, or one per column"),
      number_param("offset_sigma_lsb", 0.0, "LSB", "per-instance offset error, sigma", 0.0),
      number_param("gain_sigma", 0.0, "", "per-instance relative gain error, sigma", 0.0, 1.0),
      number_param("inl_sigma_lsb", 0.0, "LSB",
                   "per-instance code-boundary offsets, sigma (INL; DNL is sqrt(2) times this)",
                   0.0, 10.0),
      number_param("noise_sigma_lsb", 0.0, "LSB", "input-referred noise per conversion, sigma",
                   0.0),
      int_param("share_columns", 1, 1, 1 << 16, "columns multiplexed onto one ADC (costs time)"),
  };
}

AdcSpec AdcSpec::from_json(const kit::Json& j, const std::string&) {
  AdcSpec s;
  s.impl = j.at("impl").get<std::string>();
  if (s.ideal()) return s;
  s.bits = j.at("bits").get<int>();
  const auto range = j.at("range").get<std::string>();
  s.range = range == "full_scale"   ? AdcRange::kFullScale
            : range == "calibrated" ? AdcRange::kCalibrated
                                    : AdcRange::kFixed;
  s.full_scale_ua = j.at("full_scale_ua").get<double>();
  s.percentile = j.at("percentile").get<double>();
  s.per_column = j.at("range_scope").get<std::string>() == "per_column";
  s.offset_sigma_lsb = j.at("offset_sigma_lsb").get<double>();
  s.gain_sigma = j.at("gain_sigma").get<double>();
  s.inl_sigma_lsb = j.at("inl_sigma_lsb").get<double>();
  s.noise_sigma_lsb = j.at("noise_sigma_lsb").get<double>();
  s.share_columns = j.at("share_columns").get<int>();
  auto number = [&j](const char* key, double def) {
    return j.contains(key) ? j.at(key).get<double>() : def;
  };
  s.f_s_hz = number("f_s_hz", s.f_s_hz);
  s.enob = number("enob", 0.0);
  return s;
}

AdcBank::AdcBank(const AdcSpec& spec, std::size_t columns, const kit::Stream& errors)
    : bits_(spec.bits),
      share_(static_cast<std::size_t>(spec.share_columns)),
      noise_lsb_(static_cast<float>(spec.noise_sigma_lsb)) {
  const std::size_t n = (columns + share_ - 1) / share_;
  gain_.assign(n, 1.0f);
  offset_lsb_.assign(n, 0.0f);
  const kit::Stream gain = errors.substream(0), offset = errors.substream(1),
                    inl = errors.substream(2);
  for (std::size_t k = 0; k < n; ++k) {
    gain_[k] = static_cast<float>(1.0 + spec.gain_sigma * gain.normal_at(k));
    offset_lsb_[k] = static_cast<float>(spec.offset_sigma_lsb * offset.normal_at(k));
  }
  if (spec.inl_sigma_lsb > 0 && bits_ >= 2) {
    const std::size_t boundaries = (std::size_t{1} << bits_) - 1;
    thresholds_.resize(n * boundaries);
    inl.fill_normal(std::span<float>(thresholds_));
    for (auto& t : thresholds_) t *= static_cast<float>(spec.inl_sigma_lsb);
  }
}

std::size_t AdcBank::convert(std::span<float> a, std::size_t col, float r, const kit::Stream& noise,
                             std::uint64_t noise_offset) const {
  const std::size_t k = col / share_;
  const float half = std::ldexp(1.0f, bits_ - 1);  // 2^(b-1)
  const float lsb = bits_ >= 2 ? r / half : r;
  const float gain = gain_[k], offset = offset_lsb_[k] * lsb;
  if (gain != 1.0f || offset != 0.0f) {
    for (auto& v : a) v = gain * v + offset;
  }
  if (noise_lsb_ > 0) {
    std::vector<float> xi(a.size());
    noise.fill_normal(std::span<float>(xi), noise_offset);
    for (std::size_t n = 0; n < a.size(); ++n) a[n] += noise_lsb_ * lsb * xi[n];
  }
  std::size_t clipped = 0;
  for (const float v : a) clipped += std::abs(v) > r ? 1u : 0u;
  if (bits_ == 1) {
    for (auto& v : a) v = v >= 0.0f ? 0.5f * r : -0.5f * r;
    return clipped;
  }
  const float lo = -half, hi = half - 1.0f, inv = 1.0f / lsb;
  if (thresholds_.empty()) {
    for (auto& v : a) v = std::clamp(std::nearbyint(v * inv), lo, hi) * lsb;
    return clipped;
  }
  // Boundary between codes c and c+1 sits at (c + 0.5 + δ)·Δ.
  const auto boundaries = static_cast<std::size_t>(2.0f * half) - 1;
  const float* d = thresholds_.data() + k * boundaries;
  auto boundary = [&](float c) { return c + 0.5f + d[static_cast<std::size_t>(c - lo)]; };
  for (auto& v : a) {
    const float u = v * inv;
    float c = std::clamp(std::nearbyint(u), lo, hi);
    while (c > lo && u < boundary(c - 1.0f)) c -= 1.0f;
    while (c < hi && u >= boundary(c)) c += 1.0f;
    v = c * lsb;
  }
  return clipped;
}

}  // namespace xbarsim::peripherals
