#include "core/kit/idx.h"

#include <fmt/format.h>
#include <zlib.h>

#include <bit>
#include <cstdint>
#include <cstring>

#include "core/kit/error.h"
#include "core/kit/io.h"

namespace xbarsim::kit {
namespace {

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// A big-endian value of `size` bytes at p as a double.
template <class T>
double be_value(const unsigned char* p) {
  unsigned char b[sizeof(T)];
  for (std::size_t k = 0; k < sizeof(T); ++k) b[k] = p[sizeof(T) - 1 - k];
  T v;
  std::memcpy(&v, b, sizeof(T));
  return static_cast<double>(v);
}

// The bytes of a gzip file (Debian ships Fashion-MNIST as .gz IDX files).
std::string gunzip(const std::string& packed, const std::string& name) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw RuntimeError(name + ": zlib init failed");
  std::string out;
  char buf[1 << 16];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
  z.avail_in = static_cast<uInt>(packed.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - z.avail_out);
    if (out.size() > kMaxReadBytes) rc = Z_MEM_ERROR;
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) throw InputError(name + ": a damaged or truncated gzip file");
  return out;
}

}  // namespace

NdArray read_idx(const std::string& path, const std::string& what) {
  std::string bytes = read_file(path, what + " '" + path + "'");
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
      static_cast<unsigned char>(bytes[1]) == 0x8b) {
    bytes = gunzip(bytes, what + " '" + path + "'");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::string name = what + " '" + path + "'";
  if (bytes.size() < 4 || p[0] != 0 || p[1] != 0) {
    throw InputError(name + ": not an IDX file (it must start with two zero bytes)");
  }
  const unsigned type = p[2], ndim = p[3];
  std::size_t width = 0;
  switch (type) {
    case 0x08:
    case 0x09:
      width = 1;
      break;  // unsigned / signed byte
    case 0x0B:
      width = 2;
      break;  // int16
    case 0x0C:
    case 0x0D:
      width = 4;
      break;  // int32 / float32
    case 0x0E:
      width = 8;
      break;  // float64
    default:
      throw InputError(fmt::format("{}: unknown IDX type code 0x{:02x}", name, type));
  }
  if (ndim == 0 || bytes.size() < 4 + 4 * std::size_t{ndim}) {
    throw InputError(name + ": truncated IDX header");
  }
  NdArray a;
  std::size_t n = 1;
  for (unsigned d = 0; d < ndim; ++d) {
    const std::size_t dim = be32(p + 4 + 4 * d);
    if (dim != 0 && n > (std::size_t{1} << 40) / dim) {
      throw InputError(name + ": the header's dimensions are impossibly large");
    }
    a.shape.push_back(dim);
    n *= dim;
  }
  const std::size_t offset = 4 + 4 * std::size_t{ndim};
  if (bytes.size() != offset + n * width) {
    throw InputError(fmt::format("{}: {} bytes of data for a header that needs {}", name,
                                 bytes.size() - offset, n * width));
  }
  a.data.resize(n);
  const unsigned char* v = p + offset;
  for (std::size_t k = 0; k < n; ++k, v += width) {
    switch (type) {
      case 0x08:
        a.data[k] = v[0];
        break;
      case 0x09:
        a.data[k] = static_cast<signed char>(v[0]);
        break;
      case 0x0B:
        a.data[k] = be_value<std::int16_t>(v);
        break;
      case 0x0C:
        a.data[k] = be_value<std::int32_t>(v);
        break;
      case 0x0D:
        a.data[k] = be_value<float>(v);
        break;
      default:
        a.data[k] = be_value<double>(v);
        break;
    }
  }
  return a;
}

}  // namespace xbarsim::kit
