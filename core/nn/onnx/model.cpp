#include "core/nn/onnx/model.h"

#include <fmt/format.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <cmath>
#include <cstring>

#include "core/kit/error.h"
#include "core/kit/io.h"

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

Tensor take_tensor(onnx::TensorProto& t, const std::string& what, const std::string& path) {
  if (t.data_type() != onnx::TensorProto::FLOAT || t.raw_data().empty()) {
    return read_tensor(t, what, path);
  }
  Tensor out;
  const std::size_t n = value_count(t, out.dims);
  require_inside(t, what, path);
  if (t.raw_data().size() != n * sizeof(float)) {
    throw ConfigError(path,
                      fmt::format("{} holds {} bytes for {} values", what, t.raw_data().size(), n));
  }
  // protobuf filled the bytes by memcpy, which begins the floats' lifetime;
  // operator new aligns the buffer for them.
  out.raw = std::make_unique<std::string>(std::move(*t.mutable_raw_data()));
  t.clear_raw_data();
  out.data = {reinterpret_cast<const float*>(out.raw->data()), n};
  for (std::size_t k = 0; k < n; ++k) {
    if (!std::isfinite(out.data[k])) not_finite(what, path, static_cast<double>(out.data[k]), k);
  }
  return out;
}

Model load_model(const std::string& file, const std::optional<Shape>& input_shape,
                 const std::string& path) {
  Model m;
  {
    // Parsed from the file as it is read: a 100 MB model is not held twice.
    google::protobuf::io::FileInputStream in(
        kit::open_regular_file(file, "ONNX model '" + file + "' (" + path + ")"));
    in.SetCloseOnDelete(true);
    const bool parsed = m.proto.ParseFromZeroCopyStream(&in);
    if (!parsed || !m.proto.has_graph() || m.proto.graph().node_size() == 0) {
      throw ConfigError(
          path, fmt::format("'{}' is not an ONNX model (truncated, or another format)", file));
    }
  }
  m.opset = default_opset(m.proto, path);
  try {
    onnx::checker::check_model(m.proto);
  } catch (const std::exception& e) {
    throw ConfigError(path, fmt::format("ONNX's checker refuses '{}': {}", file, e.what()));
  }
  // Shape inference needs the initializers' dims, and the values of the
  // integer ones (shapes, axes), which stay; the float values move out.
  for (auto& t : *m.proto.mutable_graph()->mutable_initializer()) {
    m.constants[t.name()] = take_tensor(t, "initializer \"" + t.name() + "\"", path);
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
