#pragma once
// An .onnx file read without copying its weights: the file is mapped
// read-only, and the protobuf parser sees a slim copy of it in which each
// large float32 initializer's raw bytes are cut out (replaced by one zero
// float, so ONNX's checker still sees a tensor with data). Those bytes are
// then read in place, from the mapping.
//
// Contract: a file that is not protobuf wire format (truncated, another
// format) gives nullopt from slim(); nothing is thrown for it here.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xbarsim::nn::onnx_import {

// A regular file mapped read-only for the object's lifetime.
class MappedFile {
 public:
  // Throws InputError (naming `what`) when the file cannot be opened or mapped.
  MappedFile(const std::string& file, const std::string& what);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const unsigned char* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
};

// Fresh zeroed memory of its own mapping, 2 MiB-aligned and advised to be
// backed by transparent huge pages: one page fault per 2 MiB when it is
// filled, not one per 4 KiB.
class HugeBuffer {
 public:
  explicit HugeBuffer(std::size_t bytes);  // throws RuntimeError when memory is short
  ~HugeBuffer();
  HugeBuffer(const HugeBuffer&) = delete;
  HugeBuffer& operator=(const HugeBuffer&) = delete;
  unsigned char* data() const { return data_; }

 private:
  void* map_ = nullptr;
  std::size_t map_size_ = 0;
  unsigned char* data_ = nullptr;
};

// Where an initializer's cut-out raw bytes are in the file (size 0: not cut).
struct RawSpan {
  std::size_t offset = 0, size = 0;
};

struct SlimModel {
  std::string bytes;                  // the ModelProto without the cut bytes
  std::vector<RawSpan> initializers;  // one per graph initializer, in order
};

// Initializers of at least this many bytes are cut out and read in place.
inline constexpr std::size_t kInPlaceBytes = 4096;

std::optional<SlimModel> slim(const unsigned char* data, std::size_t size);

}  // namespace xbarsim::nn::onnx_import
