#include "core/kit/ndarray.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "core/kit/error.h"
#include "core/kit/io.h"

namespace xbarsim::kit {

std::size_t NdArray::size() const {
  std::size_t n = 1;
  for (const auto d : shape) n *= d;
  return n;
}

std::string shape_text(std::span<const std::size_t> shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

std::string NdArray::shape_text() const { return kit::shape_text(shape); }

namespace {

// Largest array we accept from a file: 2^31 elements (16 GiB as doubles).
constexpr std::size_t kMaxElements = std::size_t{1} << 31;

// Value of 'key' in the header dict text, e.g. "'descr': '<f4'".
std::string header_field(const std::string& header, const std::string& key,
                         const std::string& what) {
  const auto k = header.find("'" + key + "'");
  if (k == std::string::npos) throw InputError(what + ": .npy header has no '" + key + "'");
  auto colon = header.find(':', k);
  if (colon == std::string::npos) throw InputError(what + ": malformed .npy header");
  ++colon;
  while (colon < header.size() && header[colon] == ' ') ++colon;
  if (colon >= header.size()) throw InputError(what + ": malformed .npy header");
  const char open = header[colon];
  std::size_t end;
  if (open == '\'' || open == '"') {
    end = header.find(open, colon + 1);
    if (end == std::string::npos) throw InputError(what + ": malformed .npy header");
    return header.substr(colon + 1, end - colon - 1);
  }
  if (open == '(') {
    end = header.find(')', colon);
    if (end == std::string::npos) throw InputError(what + ": malformed .npy header");
    return header.substr(colon, end - colon + 1);
  }
  end = header.find_first_of(",}", colon);
  if (end == std::string::npos) throw InputError(what + ": malformed .npy header");
  return header.substr(colon, end - colon);
}

std::vector<std::size_t> parse_shape(const std::string& text, const std::string& what) {
  // numpy writes a tuple, "(8, 8)" or "(8,)"; it refuses a list or anything else.
  if (text.size() < 2 || text.front() != '(' || text.back() != ')' ||
      text.find_first_not_of("0123456789, ", 1) != text.size() - 1) {
    throw InputError(what + ": bad shape " + text + " in .npy header (numpy writes a tuple)");
  }
  std::vector<std::size_t> shape;
  std::size_t i = 1;  // after '('
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',')) ++i;
    if (i >= text.size() || text[i] == ')') break;
    std::size_t used = 0;
    unsigned long long d = 0;
    try {
      d = std::stoull(text.substr(i), &used);
    } catch (const std::exception&) {
      throw InputError(what + ": bad shape " + text + " in .npy header");
    }
    if (used == 0) throw InputError(what + ": bad shape " + text + " in .npy header");
    shape.push_back(static_cast<std::size_t>(d));
    i += used;
  }
  std::size_t n = 1;
  for (const auto d : shape) {
    if (d != 0 && n > kMaxElements / d) {
      throw InputError(what + ": shape " + text + " is too large");
    }
    n *= d;
  }
  if (n > kMaxElements) throw InputError(what + ": shape " + text + " is too large");
  return shape;
}

template <class T>
T load(const char* p, bool swap) {
  std::array<char, sizeof(T)> b;
  std::memcpy(b.data(), p, sizeof(T));
  if (swap) std::reverse(b.begin(), b.end());
  T v;
  std::memcpy(&v, b.data(), sizeof(T));
  return v;
}

double half_to_double(std::uint16_t h) {
  const int exp = (h >> 10) & 0x1f;
  const int mant = h & 0x3ff;
  const double sign = (h & 0x8000) ? -1.0 : 1.0;
  if (exp == 0) return sign * std::ldexp(mant, -24);
  if (exp == 31)
    return mant ? std::numeric_limits<double>::quiet_NaN()
                : sign * std::numeric_limits<double>::infinity();
  return sign * std::ldexp(mant + 1024, exp - 25);
}

}  // namespace

NdArray read_npy(const std::string& path, const std::string& what_in) {
  const std::string what = what_in + " '" + path + "'";
  const std::string bytes = read_file(path, what);
  static constexpr char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 10 || bytes.compare(0, 6, kMagic, 6) != 0) {
    throw InputError(what + ": not a .npy file (bad magic bytes)");
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) |
                 (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw InputError(what + ": truncated .npy header");
    for (int i = 3; i >= 0; --i) {
      header_len =
          (header_len << 8) | static_cast<unsigned char>(bytes[8 + static_cast<std::size_t>(i)]);
    }
    offset = 12;
  } else {
    throw InputError(what + fmt::format(": unsupported .npy version {}", major));
  }
  if (bytes.size() < offset + header_len) throw InputError(what + ": truncated .npy header");
  const std::string header = bytes.substr(offset, header_len);
  const std::string descr = header_field(header, "descr", what);
  const std::string fortran = header_field(header, "fortran_order", what);
  if (fortran.find("True") != std::string::npos) {
    throw InputError(what +
                     ": Fortran-order arrays are not supported; save with "
                     "numpy.ascontiguousarray");
  }
  NdArray out;
  out.shape = parse_shape(header_field(header, "shape", what), what);
  if (descr.size() < 3) throw InputError(what + ": unsupported dtype '" + descr + "'");
  const char order = descr[0];
  const char kind = descr[1];
  std::size_t width = 0;
  if (descr.size() > 3 || descr[2] < '1' || descr[2] > '8') {
    throw InputError(what + ": unsupported dtype '" + descr +
                     "'; use float16/32/64, (u)int8-64 or bool");
  }
  width = static_cast<std::size_t>(descr[2] - '0');
  const bool swap = (order == '>');
  const bool ok_kind =
      (kind == 'f' && (width == 2 || width == 4 || width == 8)) ||
      ((kind == 'i' || kind == 'u') && (width == 1 || width == 2 || width == 4 || width == 8)) ||
      (kind == 'b' && width == 1);
  if (!ok_kind || (order != '<' && order != '>' && order != '|' && order != '=')) {
    throw InputError(what + ": unsupported dtype '" + descr +
                     "'; use float16/32/64, (u)int8-64 or bool");
  }
  const std::size_t n = out.size();
  const std::size_t data_at = offset + header_len;
  if (bytes.size() - data_at < n * width) {
    throw InputError(what + fmt::format(": truncated data ({} bytes for {} values of {} bytes)",
                                        bytes.size() - data_at, n, width));
  }
  out.data.resize(n);
  const char* p = bytes.data() + data_at;
  for (std::size_t i = 0; i < n; ++i, p += width) {
    double v = 0;
    switch (kind) {
      case 'f':
        v = width == 2   ? half_to_double(load<std::uint16_t>(p, swap))
            : width == 4 ? static_cast<double>(load<float>(p, swap))
                         : load<double>(p, swap);
        break;
      case 'i':
        v = width == 1   ? load<std::int8_t>(p, false)
            : width == 2 ? load<std::int16_t>(p, swap)
            : width == 4 ? load<std::int32_t>(p, swap)
                         : static_cast<double>(load<std::int64_t>(p, swap));
        break;
      case 'u':
        v = width == 1   ? load<std::uint8_t>(p, false)
            : width == 2 ? load<std::uint16_t>(p, swap)
            : width == 4 ? load<std::uint32_t>(p, swap)
                         : static_cast<double>(load<std::uint64_t>(p, swap));
        break;
      default:
        v = (*p != 0) ? 1.0 : 0.0;
    }
    out.data[i] = v;
  }
  return out;
}

std::string npy_bytes(const NdArray& array, bool as_float32) {
  const std::string shape = array.shape.size() == 1
                                ? fmt::format("({},)", array.shape[0])
                                : fmt::format("({})", fmt::join(array.shape, ", "));
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                   as_float32 ? "<f4" : "<f8", shape);
  // Pad with spaces so that magic + len + header + '\n' is a multiple of 64.
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes.push_back(static_cast<char>(header.size() & 0xff));
  bytes.push_back(static_cast<char>(header.size() >> 8));
  bytes += header;
  static_assert(std::endian::native == std::endian::little, "npy writer assumes little-endian");
  if (as_float32) {
    const std::vector<float> f(array.data.begin(), array.data.end());
    bytes.append(reinterpret_cast<const char*>(f.data()), f.size() * sizeof(float));
  } else {
    bytes.append(reinterpret_cast<const char*>(array.data.data()),
                 array.data.size() * sizeof(double));
  }
  return bytes;
}

void write_npy(const std::string& path, const NdArray& array, bool as_float32) {
  write_file_atomic(path, npy_bytes(array, as_float32));
}

namespace {

std::uint32_t crc32(const std::string& data) {
  std::uint32_t table[256];
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  std::uint32_t crc = 0xFFFFFFFFu;
  for (const char ch : data)
    crc = table[(crc ^ static_cast<unsigned char>(ch)) & 0xff] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

void put16(std::string& s, std::size_t v) {
  s.push_back(static_cast<char>(v & 0xff));
  s.push_back(static_cast<char>((v >> 8) & 0xff));
}
void put32(std::string& s, std::size_t v) {
  put16(s, v & 0xffff);
  put16(s, (v >> 16) & 0xffff);
}

}  // namespace

void write_npz(const std::string& path,
               const std::vector<std::pair<std::string, NdArray>>& arrays) {
  // Zip "stored" entries (PKWARE APPNOTE 4.3): local header + data per member,
  // then the central directory and its end record.
  std::string out, central;
  for (const auto& [key, array] : arrays) {
    const std::string name = key + ".npy";
    const std::string data = npy_bytes(array);
    if (data.size() >= 0xFFFFFFFFu || out.size() >= 0xFFFFFFFFu) {
      throw RuntimeError("write_npz: '" + path + "' would exceed 4 GiB (zip64 not supported)");
    }
    const std::uint32_t crc = crc32(data);
    const std::size_t offset = out.size();
    put32(out, 0x04034b50);
    put16(out, 20);
    put16(out, 0);
    put16(out, 0);
    put16(out, 0);
    put16(out, 0x21);
    put32(out, crc);
    put32(out, data.size());
    put32(out, data.size());
    put16(out, name.size());
    put16(out, 0);
    out += name;
    out += data;
    put32(central, 0x02014b50);
    put16(central, 20);
    put16(central, 20);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0x21);
    put32(central, crc);
    put32(central, data.size());
    put32(central, data.size());
    put16(central, name.size());
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put32(central, 0);
    put32(central, offset);
    central += name;
  }
  const std::size_t central_at = out.size();
  out += central;
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, arrays.size());
  put16(out, arrays.size());
  put32(out, central.size());
  put32(out, central_at);
  put16(out, 0);
  write_file_atomic(path, out);
}

NdArray read_csv(const std::string& path, const std::string& what_in) {
  const std::string what = what_in + " '" + path + "'";
  std::istringstream in(read_file(path, what));
  NdArray out;
  std::string line;
  std::size_t line_no = 0, cols = 0, rows = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::size_t count = 0, start = 0;
    while (true) {
      const auto comma = line.find(',', start);
      const std::string cell =
          line.substr(start, comma == std::string::npos ? comma : comma - start);
      char* end = nullptr;
      const double v = std::strtod(cell.c_str(), &end);
      if (end == cell.c_str() ||
          cell.find_first_not_of(" \t", static_cast<std::size_t>(end - cell.c_str())) !=
              std::string::npos) {
        throw InputError(what + fmt::format(": line {}: '{}' is not a number", line_no, cell));
      }
      out.data.push_back(v);
      ++count;
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (rows == 0) cols = count;
    if (count != cols) {
      throw InputError(what +
                       fmt::format(": line {} has {} values, expected {}", line_no, count, cols));
    }
    ++rows;
  }
  if (rows == 0) throw InputError(what + ": no data rows");
  out.shape = {rows, cols};
  return out;
}

void write_csv(const std::string& path, const NdArray& array) {
  std::string text;
  const std::size_t cols = array.shape.size() >= 2 ? array.shape[1] : array.size();
  for (std::size_t i = 0; i < array.data.size(); ++i) {
    text += fmt::format("{:.17g}", array.data[i]);
    text += ((i + 1) % cols == 0) ? "\n" : ",";
  }
  write_file_atomic(path, text);
}

NdArray read_array(const std::string& path, const std::string& what) {
  if (path.ends_with(".csv")) return read_csv(path, what);
  return read_npy(path, what);
}

void write_array(const std::string& path, const NdArray& array) {
  if (path.ends_with(".csv")) {
    write_csv(path, array);
  } else {
    write_npy(path, array);
  }
}

MatrixShape matrix_shape(const NdArray& array, const std::string& what, bool allow_vector) {
  MatrixShape m;
  if (array.shape.size() == 2) {
    m = {array.shape[0], array.shape[1]};
  } else if (array.shape.size() == 1 && allow_vector) {
    m = {1, array.shape[0]};
  } else {
    throw InputError(what + ": expected a 2-D array, got shape " + array.shape_text());
  }
  if (m.rows == 0 || m.cols == 0) {
    throw InputError(what + ": array is empty, shape " + array.shape_text());
  }
  return m;
}

void require_finite(const NdArray& array, const std::string& what) {
  // NaN and Inf have every exponent bit set: one vectorised pass over the
  // bits, and the index search only when something is wrong.
  std::uint64_t bad = 0;
  for (const double v : array.data) {
    bad |= static_cast<std::uint64_t>((std::bit_cast<std::uint64_t>(v) & 0x7ff0000000000000ull) ==
                                      0x7ff0000000000000ull);
  }
  if (bad == 0) return;
  for (std::size_t i = 0; i < array.data.size(); ++i) {
    if (!std::isfinite(array.data[i])) {
      const std::size_t c = array.cols();
      throw InputError(
          what + fmt::format(": non-finite value {} at [{}, {}]", array.data[i], i / c, i % c));
    }
  }
}

void require_tile_range(const NdArray& array, const std::string& what) {
  // |v| ≥ 2^60 (and NaN/Inf) is a biased exponent ≥ 1023 + 60: one pass over the bits.
  constexpr std::uint64_t kExponent = 0x7ff0000000000000ull;
  constexpr std::uint64_t kLimit = std::uint64_t{1023 + kMaxTileExponent} << 52;
  std::uint64_t bad = 0;
  for (const double v : array.data) {
    bad |= static_cast<std::uint64_t>((std::bit_cast<std::uint64_t>(v) & kExponent) >= kLimit);
  }
  if (bad == 0) return;
  require_finite(array, what);
  for (std::size_t i = 0; i < array.data.size(); ++i) {
    if ((std::bit_cast<std::uint64_t>(array.data[i]) & kExponent) >= kLimit) {
      const std::size_t c = array.cols();
      throw InputError(what + fmt::format(": value {:g} at [{}, {}] is beyond the tile's range "
                                          "(|value| < 2^{} = {:.3g}; the tile computes in "
                                          "float32); rescale the data",
                                          array.data[i], i / c, i % c, kMaxTileExponent,
                                          std::ldexp(1.0, kMaxTileExponent)));
    }
  }
}

}  // namespace xbarsim::kit
