#pragma once
// The tiles of a spiking network: each crossbar layer reading spikes drives
// its rows with 1-bit pulses (2-bit differential for signed spikes), the
// configured bit-serial driver's costs kept; the layer reading the analog
// input (direct coding) keeps its DAC; analog neurons integrate the column
// currents themselves, so their layers' tiles have no ADC. The functional
// run (jobs/snn) and the static model of a spiking chip (ppa, config "snn")
// both read the network on these tiles.
#include "core/kit/registry.h"
#include "core/nn/layer_hardware.h"
#include "core/nn/network.h"
#include "core/nn/snn/convert.h"
#include "core/tile/tile_spec.h"

namespace xbarsim::nn {

// `s` as a layer reads it: spike pulses on the rows when reads_spikes (signed:
// ternary), and an ideal ADC when the neurons do not read through one.
tile::TileSpec spike_tile(tile::TileSpec s, bool reads_spikes, bool signed_spikes, bool adc,
                          const kit::Registry& registry);

// Every layer of `tiles` as the SNN of `plan` reads it (the base tile as a
// layer reading unsigned spikes: the chip's spare tiles).
LayerHardware spiking_hardware(const LayerHardware& tiles, const Network& net, const SnnPlan& plan,
                               bool adc, const kit::Registry& registry);

}  // namespace xbarsim::nn
