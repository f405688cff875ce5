// matmul: the product of two activations, [..., n, k] · [..., k, m] per
// sample (attention's Q·Kᵀ and weights·V). Neither operand is a stored
// matrix, so nothing is programmed into crossbars: the tile's digital units
// compute it (a multiply and an add per multiply-accumulate, at the
// activation width), and accuracy runs compute it in float.
#include <fmt/format.h>

#include <algorithm>

#include "core/kit/error.h"
#include "core/nn/layers/kinds.h"

namespace xbarsim::nn {
namespace {

using ConstMap = Eigen::Map<const RowMatrixF>;
using Map = Eigen::Map<RowMatrixF>;

// The operands' batch of matrices: count, and each matrix's dims.
struct Dims {
  std::size_t count, n, k, m;
};

// Matrix c of sample s in a batch of such matrices (each `size` elements).
template <typename M>
auto matrix_at(M& x, Eigen::Index s, std::size_t c, std::size_t size) {
  return x.data() + s * x.cols() + static_cast<Eigen::Index>(c * size);
}

Dims dims(const Layer& l) {
  const Shape &a = l.in_shapes[0], &b = l.in_shapes[1];
  const std::size_t r = a.size();
  return {elements(a) / (a[r - 2] * a[r - 1]), a[r - 2], a[r - 1], b[r - 1]};
}

class MatMul final : public LayerKind {
 public:
  std::string_view type() const override { return "matmul"; }
  std::string doc() const override {
    return "the product of two activations [..., n, k]·[..., k, m] on the digital units";
  }
  std::size_t min_inputs() const override { return 2; }
  std::size_t max_inputs() const override { return 2; }
  void build(Layer& l, const kit::Json&, const std::string& path) const override {
    const Shape &a = l.in_shapes[0], &b = l.in_shapes[1];
    const std::size_t r = a.size();
    const bool ok = r >= 2 && b.size() == r && std::equal(a.begin(), a.end() - 2, b.begin()) &&
                    a[r - 1] == b[r - 2];
    if (!ok) {
      throw kit::ConfigError(kit::join_path(path, "inputs"),
                             fmt::format("matmul multiplies [..., n, k] by [..., k, m] with the "
                                         "same leading axes; got {} and {}",
                                         shape_text(a), shape_text(b)));
    }
    l.out_shape = a;
    l.out_shape[r - 1] = b[r - 1];
  }
  RowMatrixF forward(const Layer& l, std::span<const RowMatrixF* const> in, const ForwardContext&,
                     Saved*) const override {
    const Dims d = dims(l);
    const auto batch = in[0]->rows();
    const auto n = static_cast<Eigen::Index>(d.n), k = static_cast<Eigen::Index>(d.k),
               m = static_cast<Eigen::Index>(d.m);
    RowMatrixF out(batch, static_cast<Eigen::Index>(d.count) * n * m);
    for (Eigen::Index s = 0; s < batch; ++s) {
      for (std::size_t c = 0; c < d.count; ++c) {
        Map(matrix_at(out, s, c, d.n * d.m), n, m).noalias() =
            ConstMap(matrix_at(*in[0], s, c, d.n * d.k), n, k) *
            ConstMap(matrix_at(*in[1], s, c, d.k * d.m), k, m);
      }
    }
    return out;
  }
  // dA = g·Bᵀ, dB = Aᵀ·g, matrix by matrix.
  std::vector<RowMatrixF> backward(const Layer& l, std::span<const RowMatrixF* const> in,
                                   const RowMatrixF& g, const Saved&,
                                   const BackwardContext&) const override {
    const Dims d = dims(l);
    const auto n = static_cast<Eigen::Index>(d.n), k = static_cast<Eigen::Index>(d.k),
               m = static_cast<Eigen::Index>(d.m);
    RowMatrixF ga(in[0]->rows(), in[0]->cols()), gb(in[1]->rows(), in[1]->cols());
    for (Eigen::Index s = 0; s < g.rows(); ++s) {
      for (std::size_t c = 0; c < d.count; ++c) {
        const ConstMap gs(matrix_at(g, s, c, d.n * d.m), n, m);
        Map(matrix_at(ga, s, c, d.n * d.k), n, k).noalias() =
            gs * ConstMap(matrix_at(*in[1], s, c, d.k * d.m), k, m).transpose();
        Map(matrix_at(gb, s, c, d.k * d.m), k, m).noalias() =
            ConstMap(matrix_at(*in[0], s, c, d.n * d.k), n, k).transpose() * gs;
      }
    }
    return {ga, gb};
  }
  DigitalWork digital_work(const Layer& l) const override {
    const Dims d = dims(l);
    const auto macs = static_cast<double>(d.count * d.n * d.k * d.m);
    return {.adds = macs,
            .multiplies = macs,
            .lane_ops = macs,
            .operand_elements = static_cast<double>(elements(l.in_shapes[1])),
            .macs = macs};
  }
};

}  // namespace

const LayerKind& matmul_kind() {
  static const MatMul k;
  return k;
}

}  // namespace xbarsim::nn
