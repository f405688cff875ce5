#pragma once
// IDX files (the MNIST / Fashion-MNIST format; gzipped ones are unpacked on
// reading, as Debian ships Fashion-MNIST): a big-endian header (two zero
// bytes, a type code, the number of dimensions, each dimension as a 32-bit
// count) and the values in C order.
//
// Contract: read_idx returns the values as doubles with the file's shape;
// unsigned bytes stay 0..255. A missing file, a wrong magic, a size that
// does not match the header or an unsupported type is an InputError naming
// the file.
#include <string>

#include "core/kit/ndarray.h"

namespace xbarsim::kit {

NdArray read_idx(const std::string& path, const std::string& what);

}  // namespace xbarsim::kit
