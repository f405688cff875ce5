#pragma once
// The SNN half of an accuracy run (evaluation.snn): the trained network
// converted to integrate-and-fire neurons (core/nn/snn/) and run step by
// step on the same chip, beside the ANN evaluation of the same network.
//
//   float       the converted network with float weights
//   quantized   on the tiles with ideal devices (only quantization left)
//   nonideal    every configured effect, per read time, over device draws
//   spikes      per layer and per neuron, at each checkpoint T
//   energy      per inference from the counted events: row pulses driven
//               (the DAC per pulse), cells read, conversions done (none for
//               analog neurons), neuron steps and spikes; beside the ANN's
//               on the same basis
//
// Each spiking layer's tile reads 1-bit row pulses (a bit-serial DAC of one
// bit at a fixed full scale of one spike; two for signed input spikes);
// with direct coding the first layer keeps its configured DAC. Reads are
// event-driven: a block reads only the vectors with a spike on its rows.
// The ADC ranges are calibrated on spikes drawn at the float network's
// rates on the calibration samples. Analog neurons (reads_adc false)
// integrate the column currents: their layers' ADCs are ideal and cost
// nothing, the readout's too.
//
// Contract: deterministic for a seed whatever the thread count (trials side
// by side, each on its own streams).
#include <functional>
#include <string>

#include "core/jobs/accuracy.h"
#include "core/kit/json.h"
#include "core/kit/registry.h"
#include "core/nn/layer_hardware.h"
#include "core/nn/network.h"
#include "core/nn/snn/spec.h"
#include "core/tile/actions.h"

namespace xbarsim::jobs {

// The ANN run the SNN is compared with: its accuracy and what trial 0's
// tiles did over the test set at the first read time.
struct AnnReference {
  double accuracy = 0;
  tile::Actions actions;
};

// Checks what can be checked before work: the node, and that the network
// converts (each layer's kind and what it reads).
nn::SnnSpec check_snn(const kit::Json& node, const nn::Network& net, const kit::Registry& registry);

kit::Json run_snn(const nn::LayerHardware& tiles, const nn::Network& net,
                  const EvaluationData& data, const nn::SnnSpec& snn, std::size_t batch,
                  const AnnReference& ann, const kit::Registry& registry,
                  const std::function<void(const std::string&)>& say);

}  // namespace xbarsim::jobs
