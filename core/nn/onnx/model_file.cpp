#include "core/nn/onnx/model_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "core/kit/error.h"
#include "core/kit/io.h"
#include "core/kit/memory.h"

namespace xbarsim::nn::onnx_import {

MappedFile::MappedFile(const std::string& file, const std::string& what) {
  const int fd = kit::open_regular_file(file, what);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw kit::InputError(what + ": " + std::strerror(err));
  }
  size_ = static_cast<std::size_t>(st.st_size);
  if (size_ > 0) {
    // MAP_POPULATE maps the whole file (from the page cache) in one call
    // instead of one page fault per page as the weights are read.
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw kit::InputError(what + ": cannot map it: " + std::strerror(err));
    }
    data_ = static_cast<const unsigned char*>(p);
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<unsigned char*>(data_), size_);
}

HugeBuffer::HugeBuffer(std::size_t bytes) {
  constexpr std::size_t kHuge = std::size_t{2} << 20;
  map_size_ = bytes + kHuge;
  map_ = ::mmap(nullptr, map_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map_ == MAP_FAILED) {
    map_ = nullptr;
    throw kit::RuntimeError("cannot map " + std::to_string(bytes >> 20) +
                            " MiB for an ONNX model's weights: " + std::strerror(errno));
  }
  const auto start = reinterpret_cast<std::uintptr_t>(map_);
  data_ = reinterpret_cast<unsigned char*>((start + kHuge - 1) & ~(kHuge - 1));
  kit::advise_huge_pages(data_, bytes);
}

HugeBuffer::~HugeBuffer() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
}

namespace {

// Protobuf's wire format (developers.google.com/protocol-buffers/docs/encoding):
// each field is a varint tag (number << 3 | wire type) and a value: a varint
// (type 0), 8 bytes (1), a varint length and that many bytes (2), 4 bytes (5).
// The field numbers are onnx.proto's.
constexpr std::uint64_t kModelGraph = 7, kGraphInitializer = 5, kTensorDataType = 2,
                        kTensorRawData = 9, kFloat = 1;

struct Malformed {};

struct Reader {
  const unsigned char* p;
  const unsigned char* end;
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p == end) throw Malformed{};
      const unsigned char b = *p++;
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    throw Malformed{};
  }
  void skip(std::uint64_t n) {
    if (n > static_cast<std::uint64_t>(end - p)) throw Malformed{};
    p += n;
  }
};

// One field: its number, wire type, a varint's value, a length-delimited
// field's bytes [body, stop) (without the length), the whole field [start, stop).
struct Field {
  std::uint64_t number = 0, type = 0, value = 0;
  const unsigned char *start = nullptr, *body = nullptr, *stop = nullptr;
};

Field next(Reader& r) {
  Field f;
  f.start = r.p;
  const std::uint64_t tag = r.varint();
  f.number = tag >> 3;
  f.type = tag & 7;
  if (f.number == 0) throw Malformed{};
  switch (f.type) {
    case 0:
      f.value = r.varint();
      break;
    case 1:
      r.skip(8);
      break;
    case 2: {
      const std::uint64_t n = r.varint();
      f.body = r.p;
      r.skip(n);
      break;
    }
    case 5:
      r.skip(4);
      break;
    default:
      throw Malformed{};  // groups (3, 4) are not in ONNX; 6, 7 do not exist
  }
  f.stop = r.p;
  return f;
}

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void put_bytes(std::string& out, std::uint64_t number, const std::string& body) {
  put_varint(out, number << 3 | 2);
  put_varint(out, body.size());
  out += body;
}

void copy(std::string& out, const Field& f) {
  out.append(reinterpret_cast<const char*>(f.start), static_cast<std::size_t>(f.stop - f.start));
}

// A TensorProto's bytes, a large float32 raw_data replaced by one zero float
// (its place in the file in span).
std::string slim_tensor(const unsigned char* p, const unsigned char* end, const unsigned char* file,
                        RawSpan& span) {
  std::uint64_t data_type = 0;
  const unsigned char *raw = nullptr, *raw_end = nullptr;
  Reader scan{p, end};
  while (scan.p != end) {
    const Field f = next(scan);
    if (f.number == kTensorDataType && f.type == 0) data_type = f.value;
    if (f.number == kTensorRawData && f.type == 2) {
      raw = f.body;
      raw_end = f.stop;
    }
  }
  std::string out;
  const auto raw_size = static_cast<std::size_t>(raw_end - raw);
  if (data_type != kFloat || raw == nullptr || raw_size < kInPlaceBytes) {
    out.assign(reinterpret_cast<const char*>(p), static_cast<std::size_t>(end - p));
    return out;
  }
  span = {static_cast<std::size_t>(raw - file), raw_size};
  Reader r{p, end};
  while (r.p != end) {
    const Field f = next(r);
    if (f.number == kTensorRawData && f.type == 2) {
      // One zero float stands in for the bytes, which stay in the file: ONNX's
      // checker wants a tensor with data, and shape inference reads only
      // small constants (shapes, axes, scales), which are never cut.
      put_bytes(out, kTensorRawData, std::string(sizeof(float), '\0'));
    } else {
      copy(out, f);
    }
  }
  return out;
}

std::string slim_graph(const unsigned char* p, const unsigned char* end, const unsigned char* file,
                       std::vector<RawSpan>& spans) {
  std::string out;
  Reader r{p, end};
  while (r.p != end) {
    const Field f = next(r);
    if (f.number == kGraphInitializer && f.type == 2) {
      RawSpan span;
      put_bytes(out, kGraphInitializer, slim_tensor(f.body, f.stop, file, span));
      spans.push_back(span);
    } else {
      copy(out, f);
    }
  }
  return out;
}

}  // namespace

std::optional<SlimModel> slim(const unsigned char* data, std::size_t size) {
  SlimModel m;
  try {
    Reader r{data, data + size};
    while (r.p != r.end) {
      const Field f = next(r);
      if (f.number == kModelGraph && f.type == 2) {
        // Should the graph appear twice, protobuf merges the two (their
        // initializers appended in order), and the spans follow that order.
        put_bytes(m.bytes, kModelGraph, slim_graph(f.body, f.stop, data, m.initializers));
      } else {
        copy(m.bytes, f);
      }
    }
  } catch (const Malformed&) {
    return std::nullopt;
  }
  return m;
}

}  // namespace xbarsim::nn::onnx_import
