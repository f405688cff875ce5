// The ideal ADC: column signals read exactly, at no cost.
#include "peripherals/adc.h"
#include "peripherals/adcs/adcs.h"

namespace xbarsim::peripherals {
namespace {

class IdealAdc final : public Adc {
 public:
  using Adc::Adc;
  AdcCost cost(double) const override { return {}; }
};

}  // namespace

void add_ideal_adc(kit::Registry& registry) {
  registry.add_variant<Adc>("adc", {"ideal", "column outputs read exactly, at no cost", {}},
                            [](const kit::Json& j) -> std::unique_ptr<Adc> {
                              return std::make_unique<IdealAdc>(AdcSpec::from_json(j, "adc"));
                            });
}

}  // namespace xbarsim::peripherals
