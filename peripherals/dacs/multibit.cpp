// Multi-bit DAC: the whole input in one read, as one of 2^bits amplitude
// levels (signed levels with a differential drive).
#include "peripherals/dac.h"
#include "peripherals/dacs/dacs.h"

namespace xbarsim::peripherals {
namespace {

class MultibitDac final : public Dac {
 public:
  using Dac::Dac;

  DacPlanes encode(const RowMatrixF& x, double x_fs, bool) const override {
    const auto phases = phase_codes(codes(x, x_fs));
    const Eigen::Index batch = x.rows(), rows = x.cols();
    const auto l = static_cast<double>(spec().levels());
    DacPlanes p;
    p.batch = static_cast<std::size_t>(batch);
    p.lsb = x_fs / l;
    p.v.resize(static_cast<Eigen::Index>(phases.size()) * batch, rows);
    for (std::size_t ph = 0; ph < phases.size(); ++ph) {
      p.v.middleRows(static_cast<Eigen::Index>(ph) * batch, batch) =
          phases[ph] * static_cast<float>(1.0 / l);
      p.group.push_back(ph);
      p.frac.push_back(1.0f);
      p.weight.push_back(ph == 0 ? l : -l);
    }
    return p;
  }
  std::size_t cycles() const override { return static_cast<std::size_t>(spec().phases()); }
};

}  // namespace

void add_multibit_dac(kit::Registry& registry) {
  auto params = DacSpec::common_params();
  // Source: BRAHMS (DAC 2021), after Chen et al. (VLSI 2018): an 8-bit
  // capacitive DAC, 0.291 pJ per conversion and 438 µm² at 40 nm. For other
  // resolutions set energy_pj and area_um2 (a capacitive DAC grows ~2^bits).
  for (auto& p : DacSpec::cost_params(0.291, 438.0, 40.0)) params.push_back(std::move(p));
  registry.add_variant<Dac>(
      "dac", {"multibit", "one read, the input as one of 2^bits voltage levels", params},
      [](const kit::Json& j) -> std::unique_ptr<Dac> {
        return std::make_unique<MultibitDac>(DacSpec::from_json(j, "dac"));
      });
}

}  // namespace xbarsim::peripherals
