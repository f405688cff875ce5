#include "core/nn/onnx/model.h"

#include <fmt/format.h>
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>

#include "core/kit/error.h"
#include "core/kit/io.h"
#include "core/kit/memory.h"
#include "core/nn/onnx/model_file.h"

namespace xbarsim::nn::onnx_import {
namespace {

using kit::ConfigError;

int default_opset(const onnx::ModelProto& m, const std::string& path) {
  for (const auto& o : m.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") {
      const auto v = static_cast<int>(o.version());
      if (v < kMinOpset || v > kMaxOpset) {
        throw ConfigError(path, fmt::format("the model uses ONNX opset {}; xbarsim imports opsets "
                                            "{} to {} (re-export with opset_version={} or convert "
                                            "it with onnx.version_converter)",
                                            v, kMinOpset, kMaxOpset, kMaxOpset));
      }
      return v;
    }
  }
  throw ConfigError(path, "the model imports no default-domain (ai.onnx) opset");
}

// The graph's one real input (not an initializer), with its per-sample
// shape made concrete (batch 1) for shape inference.
void fix_input(Model& m, const std::optional<Shape>& given, const std::string& path) {
  auto* g = m.proto.mutable_graph();
  std::vector<onnx::ValueInfoProto*> real;
  for (auto& in : *g->mutable_input()) {
    if (!m.constants.count(in.name())) real.push_back(&in);
  }
  if (real.size() != 1) {
    throw ConfigError(path, fmt::format("the graph has {} inputs besides its weights; xbarsim "
                                        "imports models with one input",
                                        real.size()));
  }
  onnx::ValueInfoProto& in = *real[0];
  m.input = in.name();
  if (!in.type().has_tensor_type() || in.type().tensor_type().elem_type() != 1) {
    throw ConfigError(path, "input \"" + m.input + "\" is not a float32 tensor");
  }
  auto* dims = in.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim();
  const int rank = dims->size();
  if (rank < 2 || rank > 4) {
    throw ConfigError(path, fmt::format("input \"{}\" has rank {}; xbarsim imports [N, C, H, W], "
                                        "[N, tokens, features] and [N, features] inputs",
                                        m.input, rank));
  }
  if (given && given->size() != static_cast<std::size_t>(rank - 1)) {
    throw ConfigError(
        kit::join_path(path, "input_shape"),
        fmt::format("expected {} dimensions (the model's input without the batch)", rank - 1));
  }
  for (int k = 1; k < rank; ++k) {
    auto& d = (*dims)[k];
    const std::size_t want = given ? (*given)[static_cast<std::size_t>(k - 1)] : 0;
    if (d.has_dim_value() && d.dim_value() > 0) {
      if (given && static_cast<std::size_t>(d.dim_value()) != want) {
        throw ConfigError(kit::join_path(path, "input_shape"),
                          fmt::format("the model's input has {} in dimension {}, input_shape "
                                      "says {}",
                                      d.dim_value(), k, want));
      }
      m.input_shape.push_back(static_cast<std::size_t>(d.dim_value()));
    } else if (given) {
      d.set_dim_value(static_cast<std::int64_t>(want));
      m.input_shape.push_back(want);
    } else {
      throw ConfigError(path, fmt::format("input \"{}\" has a symbolic dimension {} ({}); give "
                                          "the per-sample shape: \"network\": {{\"onnx\": ..., "
                                          "\"input_shape\": [C, H, W]}}",
                                          m.input, k, d.dim_param().empty() ? "?" : d.dim_param()));
    }
  }
  (*dims)[0].set_dim_value(1);  // one sample: every inferred shape starts with the batch, 1
}

void collect_shapes(Model& m) {
  auto add = [&](const onnx::ValueInfoProto& v) {
    if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) return;
    Shape s;
    for (const auto& d : v.type().tensor_type().shape().dim()) {
      if (!d.has_dim_value() || d.dim_value() < 0) return;  // unknown
      s.push_back(static_cast<std::size_t>(d.dim_value()));
    }
    m.shapes[v.name()] = s;
  };
  for (const auto& v : m.proto.graph().input()) add(v);
  for (const auto& v : m.proto.graph().value_info()) add(v);
  for (const auto& v : m.proto.graph().output()) add(v);
  for (const auto& n : m.proto.graph().node()) {
    for (const auto& i : n.input()) ++m.uses[i];
  }
  for (const auto& o : m.proto.graph().output()) ++m.uses[o.name()];
}

}  // namespace

namespace {

std::size_t value_count(const onnx::TensorProto& t, std::vector<std::int64_t>& dims) {
  std::size_t n = 1;
  for (const auto d : t.dims()) {
    dims.push_back(d);
    n *= static_cast<std::size_t>(d);
  }
  return n;
}

void require_inside(const onnx::TensorProto& t, const std::string& what, const std::string& path) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    throw ConfigError(path, what +
                                " is stored outside the .onnx file (external data); save the "
                                "model with its weights inside");
  }
}

[[noreturn]] void not_finite(const std::string& what, const std::string& path, double v,
                             std::size_t k) {
  throw ConfigError(
      path,
      fmt::format("{} has a value that is not a finite float32 ({}) at index {}", what, v, k));
}

}  // namespace

Tensor read_tensor(const onnx::TensorProto& t, const std::string& what, const std::string& path) {
  Tensor out;
  const std::size_t n = value_count(t, out.dims);
  require_inside(t, what, path);
  std::vector<float> vals;
  vals.reserve(n);
  auto add = [&](auto v) {
    const auto f = static_cast<float>(v);
    if (!std::isfinite(f)) not_finite(what, path, static_cast<double>(v), vals.size());
    vals.push_back(f);
  };
  const std::string& raw = t.raw_data();
  auto from_raw = [&](auto zero) {
    using T = decltype(zero);
    if (raw.size() != n * sizeof(T)) {
      throw ConfigError(path, fmt::format("{} holds {} bytes for {} values", what, raw.size(), n));
    }
    for (std::size_t k = 0; k < n; ++k) {  // reserved above: no zero fill, no regrowth
      T v;
      std::memcpy(&v, raw.data() + k * sizeof(T), sizeof(T));
      add(v);
    }
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (!raw.empty()) from_raw(0.0f);
      for (const float v : t.float_data()) add(v);
      break;
    case onnx::TensorProto::DOUBLE:
      if (!raw.empty()) from_raw(0.0);
      for (const double v : t.double_data()) add(v);
      break;
    case onnx::TensorProto::INT64:
      if (!raw.empty()) from_raw(std::int64_t{0});
      for (const auto v : t.int64_data()) add(v);
      break;
    case onnx::TensorProto::INT32:
      if (!raw.empty()) from_raw(std::int32_t{0});
      for (const auto v : t.int32_data()) add(v);
      break;
    default:
      throw ConfigError(path, fmt::format("{} has ONNX data type {}; xbarsim reads float32, "
                                          "float64, int32 and int64 tensors",
                                          what, static_cast<int>(t.data_type())));
  }
  if (vals.size() != n) {
    throw ConfigError(path,
                      fmt::format("{} holds {} values for its shape's {}", what, vals.size(), n));
  }
  out.assign(std::move(vals));
  return out;
}

namespace {

std::size_t aligned_size(std::size_t bytes) { return (bytes + 63) & ~std::size_t{63}; }

// An initializer whose raw bytes slim() cut out: its floats read in place
// from the mapping (copied where the file does not align them for float).
// Unaligned spans are copied into `copies` at `*copied` (advanced).
Tensor mapped_tensor(const onnx::TensorProto& t, const RawSpan& span,
                     const std::shared_ptr<const MappedFile>& file,
                     const std::shared_ptr<HugeBuffer>& copies, std::size_t* copied,
                     const std::string& what, const std::string& path) {
  Tensor out;
  const std::size_t n = value_count(t, out.dims);
  if (span.size != n * sizeof(float)) {
    throw ConfigError(path, fmt::format("{} holds {} bytes for {} values", what, span.size, n));
  }
  const unsigned char* bytes = file->data() + span.offset;
  // Non-finite float32: all exponent bits set. One pass over the bits, which
  // vectorizes; the index is looked for only when there is one.
  std::uint32_t any = 0;
  for (std::size_t k = 0; k < n; ++k) {
    std::uint32_t u;
    std::memcpy(&u, bytes + k * sizeof(float), sizeof(u));
    any |= static_cast<std::uint32_t>((u & 0x7f800000u) == 0x7f800000u);
  }
  if (any != 0) {
    for (std::size_t k = 0; k < n; ++k) {
      float v;
      std::memcpy(&v, bytes + k * sizeof(float), sizeof(v));
      if (!std::isfinite(v)) not_finite(what, path, static_cast<double>(v), k);
    }
  }
  if (span.offset % alignof(float) != 0) {
    // Copied, aligned (one buffer for all of them, in huge pages).
    float* dst = reinterpret_cast<float*>(copies->data() + *copied);
    std::memcpy(dst, bytes, span.size);
    *copied += aligned_size(span.size);
    out.data = {dst, n};
    out.keep = copies;
    return out;
  }
  // The mapping is page-aligned and holds the file's bytes, little-endian
  // float32 as ONNX stores them (x86-64 and every platform this builds for).
  out.data = {reinterpret_cast<const float*>(bytes), n};
  out.keep = file;
  return out;
}

}  // namespace

Model load_model(const std::string& file, const std::optional<Shape>& input_shape,
                 const std::string& path) {
  Model m;
  // The file mapped, its large weights cut out of the bytes protobuf parses
  // and read in place: a 100 MB model is neither copied nor held twice.
  const auto mapped =
      std::make_shared<const MappedFile>(file, "ONNX model '" + file + "' (" + path + ")");
  std::optional<SlimModel> slimmed = slim(mapped->data(), mapped->size());
  if (!slimmed || !m.proto.ParseFromString(slimmed->bytes) || !m.proto.has_graph() ||
      m.proto.graph().node_size() == 0 ||
      static_cast<std::size_t>(m.proto.graph().initializer_size()) !=
          slimmed->initializers.size()) {
    throw ConfigError(
        path, fmt::format("'{}' is not an ONNX model (truncated, or another format)", file));
  }
  slimmed->bytes = std::string();
  m.opset = default_opset(m.proto, path);
  try {
    onnx::checker::check_model(m.proto);
  } catch (const std::exception& e) {
    throw ConfigError(path, fmt::format("ONNX's checker refuses '{}': {}", file, e.what()));
  }
  // The constants: large float32 weights read from the mapping, the rest
  // (shapes, axes, small tensors) converted from the parsed message.
  std::size_t unaligned = 0, copied = 0;
  for (const RawSpan& s : slimmed->initializers) {
    if (s.size > 0 && s.offset % alignof(float) != 0) unaligned += aligned_size(s.size);
  }
  const auto copies = unaligned > 0 ? std::make_shared<HugeBuffer>(unaligned) : nullptr;
  const auto& inits = m.proto.graph().initializer();
  for (int k = 0; k < inits.size(); ++k) {
    const onnx::TensorProto& t = inits[k];
    const std::string what = "initializer \"" + t.name() + "\"";
    const RawSpan& span = slimmed->initializers[static_cast<std::size_t>(k)];
    m.constants[t.name()] = span.size > 0
                                ? mapped_tensor(t, span, mapped, copies, &copied, what, path)
                                : read_tensor(t, what, path);
  }
  fix_input(m, input_shape, path);
  try {
    onnx::shape_inference::InferShapes(m.proto, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(true, 1, true));
  } catch (const std::exception& e) {
    throw ConfigError(path,
                      fmt::format("ONNX's shape inference fails on '{}': {}", file, e.what()));
  }
  collect_shapes(m);
  return m;
}

bool has_attr(const onnx::NodeProto& n, const char* name) {
  for (const auto& a : n.attribute()) {
    if (a.name() == name) return true;
  }
  return false;
}

std::int64_t attr_int(const onnx::NodeProto& n, const char* name, std::int64_t def) {
  for (const auto& a : n.attribute()) {
    if (a.name() == name) return a.i();
  }
  return def;
}

double attr_float(const onnx::NodeProto& n, const char* name, double def) {
  for (const auto& a : n.attribute()) {
    if (a.name() == name) return static_cast<double>(a.f());
  }
  return def;
}

std::string attr_string(const onnx::NodeProto& n, const char* name, const std::string& def) {
  for (const auto& a : n.attribute()) {
    if (a.name() == name) return a.s();
  }
  return def;
}

std::vector<std::int64_t> attr_ints(const onnx::NodeProto& n, const char* name) {
  for (const auto& a : n.attribute()) {
    if (a.name() == name) return {a.ints().begin(), a.ints().end()};
  }
  return {};
}

}  // namespace xbarsim::nn::onnx_import
