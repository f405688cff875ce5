// One layer's energy and latency in the performance model: a matrix layer's
// arrays (counts from tile::count_actions, array energy from the static
// activity assumptions), its adder tree and tile buffers; the digital work of
// activations, pooling and adds; every layer's feature-map traffic.
#include <algorithm>
#include <cmath>

#include "core/ppa/performance.h"

namespace xbarsim::ppa {

double LayerEnergy::total() const {
  return array + dac + adc + shift_add + adder_tree + digital + buffer + global_buffer + noc +
         neurons;
}

void LayerEnergy::add(const LayerEnergy& o) {
  array += o.array;
  dac += o.dac;
  adc += o.adc;
  shift_add += o.shift_add;
  adder_tree += o.adder_tree;
  digital += o.digital;
  buffer += o.buffer;
  global_buffer += o.global_buffer;
  noc += o.noc;
  neurons += o.neurons;
}

kit::Json LayerEnergy::to_json(bool with_neurons) const {
  kit::Json j = {{"array", array},
                 {"dac", dac},
                 {"adc", adc},
                 {"shift_add", shift_add},
                 {"adder_tree", adder_tree},
                 {"digital", digital},
                 {"buffer", buffer},
                 {"global_buffer", global_buffer},
                 {"noc", noc},
                 {"total", total()}};
  if (with_neurons) j["neurons"] = neurons;
  return j;
}

nn::DigitalWork Accelerator::digital_work(const nn::Layer& l, std::size_t layer) const {
  nn::DigitalWork work = l.kind->digital_work(l);
  if (l.matrix() && layers_.digital(layer)) {
    const double macs = l.macs();
    work.multiplies += macs;
    work.adds += macs;
    work.lane_ops += macs;
    work.macs += macs;
  }
  return work;
}

LayerCost Accelerator::layer_cost(const nn::Layer& l, std::size_t layer, const LayerMap* m,
                                  const CostContext& c) const {
  const auto& t = hw_.tile;
  const auto& chip = hw_.chip;
  const TileModel& tm = models_[model_of(layer)];
  const TileCosts& tc = c.tiles[model_of(layer)];
  LayerCost out;
  LayerEnergy& e = out.energy;
  double lat = 0;
  // Digital work of the non-matrix layers (and bias adds) on the tile's lanes:
  // a compare at the 40 nm comparator's cost, an add at the activation
  // width, a multiply as act_bits such adds (an array multiplier's full
  // adders; Horowitz, ISSCC 2014, gives 0.2 pJ for an 8-bit multiply against
  // 0.03 pJ for an 8-bit add at 45 nm, the same order).
  // A spiking chip: every step repeats the layer's work; a relu is a
  // population of neurons instead of compares (or passes spikes on); an
  // average pooling of spikes adds each step and feeds its neurons.
  const SnnLayerRate* spiking = snn_.empty() ? nullptr : &snn_[layer];
  const double steps = spiking != nullptr ? static_cast<double>(hw_.snn->steps) : 1.0;
  nn::DigitalWork work = digital_work(l, layer);
  if (spiking != nullptr) {
    // A relu's compares are its neurons; a softmax at the end is dropped
    // (the readout's argmax is the same).
    const bool relu = spiking->role == nn::SnnRole::kNeurons && !spiking->pools;
    if (relu || spiking->role == nn::SnnRole::kPass || spiking->role == nn::SnnRole::kReadout) {
      work = {};
    }
    for (double* w :
         {&work.compares, &work.adds, &work.multiplies, &work.lane_ops, &work.operand_elements}) {
      *w *= steps;
    }
  }
  const double add_pj = tc.act_bits * t.adder_pj_per_bit * c.e45;
  e.digital = work.compares * t.compare_pj * c.e40 + work.adds * add_pj +
              work.multiplies * tc.act_bits * add_pj;
  double digital_ops = work.lane_ops;
  if (m != nullptr) {
    const std::size_t rows = l.rows(), cols = l.cols();
    // A spiking chip's vectors: one per step; a driven row carries a spike
    // (v_read for one pulse) at the rate of what it reads.
    const std::size_t vec = l.vectors() * static_cast<std::size_t>(steps);
    const bool spikes = spiking != nullptr && spiking->reads_spikes;
    const double activity = spikes ? spiking->rate : chip.input_activity;
    const double v_read = tm.spec.array.v_read_v;
    tile::Actions& a = out.actions;
    double pulses = 0;
    for (std::size_t g = 0; g < m->plan.groups; ++g) {
      for (const nn::Span& ri : m->plan.rows) {
        // Reads of spikes are event-driven: a block reads only the vectors
        // with a spike on one of its rows, 1 - (1 - r)^rows of them for
        // independent spikes (the others cost nothing).
        const double active =
            spikes ? 1.0 - std::pow(1.0 - activity, static_cast<double>(ri.count)) : 1.0;
        const auto reads =
            static_cast<std::size_t>(std::llround(static_cast<double>(vec) * active));
        for (const nn::Span& cj : m->plan.cols) {
          a.add(tm.group_actions(reads, ri.count, cj.count));
          // A pulse per spike: r of every row read of every vector, per slice.
          pulses += static_cast<double>(vec * tm.dac->cycles()) * static_cast<double>(ri.count) *
                    static_cast<double>(tm.slices) * activity;
          // Array: Σ V²·G·t over the driven rows' cells (µS·V²·ns = 1e-3 pJ).
          e.array += static_cast<double>(vec * tm.dac->cycles() * tm.polarity) *
                     static_cast<double>(tm.slices) * static_cast<double>(ri.count) * activity *
                     static_cast<double>(cj.count) * tc.g_avg_us * v_read * v_read * tc.t_on_ns *
                     1e-3;
        }
      }
    }
    a.dac_pulses = static_cast<std::uint64_t>(
        spikes ? std::round(pulses) : static_cast<double>(a.dac_conversions) * chip.input_activity);
    // A spike driver pays per pulse; a DAC per row read.
    e.dac = static_cast<double>(spikes ? a.dac_pulses : a.dac_conversions) * tc.dac.energy_pj;
    const auto shape = tm.dac->conversion_shape();
    e.adc = static_cast<double>(a.adc_conversions) *
            tm.adc->conversion_pj(tm.spec.node_nm, shape.planes, shape.steps);
    e.shift_add = static_cast<double>(a.shift_adds) * tc.shift_add.energy_pj;
    // Partial sums of the row splits, then the bias.
    const double tree_adds =
        static_cast<double>(vec * cols * (m->row_splits - 1) + (l.bias ? vec * cols : 0));
    e.adder_tree = tree_adds * tc.acc_bits * t.adder_pj_per_bit * c.e45;
    digital_ops = tree_adds;
    // Tile buffers: inputs read by every column split, outputs written once.
    const double in_bits = static_cast<double>(
        a.bits_in > 0 ? a.bits_in : vec * rows * m->plan.groups * m->col_splits * 8);
    // A spiking chip's layer writes its neurons' spikes each step (the
    // readout its scores once).
    double out_bits = static_cast<double>(vec * cols) * tc.acc_bits;
    if (spiking != nullptr) {
      out_bits = spiking->readout ? static_cast<double>(l.vectors() * cols) * tc.acc_bits
                                  : static_cast<double>(vec * cols);
    }
    e.buffer = (in_bits + out_bits) * t.buffer_pj_per_bit * c.e45;
    lat = std::ceil(static_cast<double>(l.vectors()) / static_cast<double>(m->replicas)) * steps *
          tm.vector_ns(hw_.pe.adc_sharing);
  }
  if (spiking != nullptr) {
    // Every neuron steps each step; a population's fire at its rate; the
    // readout's integrate the last layer's currents.
    const auto neurons = static_cast<double>(l.out_elements());
    const peripherals::NeuronCost& nc = neuron_cost_;
    if (spiking->role == nn::SnnRole::kNeurons) {
      e.neurons = neurons * steps * (nc.step_pj + spiking->rate * nc.spike_pj);
      lat = std::max(lat, steps * nc.t_step_ns);
    }
    if (spiking->readout) e.neurons += neurons * steps * nc.step_pj;
  }
  // Feature maps: a matrix layer reads its input from the global buffer over
  // the network and writes its output back; elementwise and pooling layers
  // run in the producing tile's digital units on the way out, and a merge
  // (residual add, gate, concat) fetches its further operands.
  double fm_bits = work.operand_elements * tc.act_bits;
  if (spiking != nullptr) {
    // Spikes at a bit each step (two when signed): a crossbar layer reads
    // its input's, a population writes its own; the readout writes the scores.
    const auto in_el = static_cast<double>(l.in_elements()),
               out_el = static_cast<double>(l.out_elements());
    if (l.matrix()) {
      fm_bits = in_el * steps *
                (spiking->reads_spikes ? (spiking->signed_spikes ? 2.0 : 1.0) : tc.act_bits);
    }
    if (spiking->role == nn::SnnRole::kNeurons) fm_bits = out_el * steps;
    if (spiking->readout) fm_bits += out_el * tc.acc_bits;
  } else if (l.matrix()) {
    fm_bits = static_cast<double>(l.in_elements() + l.out_elements()) * tc.act_bits;
  }
  e.global_buffer = fm_bits * chip.gb_pj_per_bit * c.e32;
  e.noc = fm_bits * c.hops * chip.noc_pj_per_bit_hop * c.e32;
  const double transfer = fm_bits > 0 ? (fm_bits / chip.link_bits + c.hops) * chip.hop_ns : 0.0;
  const double digital = digital_ops / static_cast<double>(t.digital_units);  // 1 GHz lanes
  out.latency_ns = std::max({lat, transfer, digital});
  return out;
}

}  // namespace xbarsim::ppa
