// The ideal DAC: inputs applied exactly as voltages (the batch's largest |x|
// at v_read), in one read, at no cost.
#include "peripherals/dac.h"
#include "peripherals/dacs/dacs.h"

namespace xbarsim::peripherals {
namespace {

class IdealDac final : public Dac {
 public:
  using Dac::Dac;
  DacPlanes encode(const RowMatrixF& x, double x_fs, bool) const override {
    DacPlanes p;
    p.batch = static_cast<std::size_t>(x.rows());
    p.v = x * static_cast<float>(1.0 / x_fs);
    p.group = {0};
    p.frac = {1.0f};
    p.weight = {x_fs};
    return p;
  }
  std::size_t cycles() const override { return 1; }
};

}  // namespace

void add_ideal_dac(kit::Registry& registry) {
  registry.add_variant<Dac>("dac", {"ideal", "analog inputs applied exactly, at no cost", {}},
                            [](const kit::Json& j) -> std::unique_ptr<Dac> {
                              return std::make_unique<IdealDac>(DacSpec::from_json(j, "dac"));
                            });
}

}  // namespace xbarsim::peripherals
