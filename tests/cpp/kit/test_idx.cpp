#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/kit/error.h"
#include "core/kit/idx.h"

using namespace xbarsim;

namespace {

std::string write_bytes(const std::string& name, const std::string& bytes) {
  const auto path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

}  // namespace

TEST_CASE("IDX files: MNIST's unsigned bytes and other types", "[core][idx]") {
  // Two 2x3 "images" of unsigned bytes, as in train-images-idx3-ubyte.
  std::string u8 = std::string("\0\0\x08\x03", 4) + be32(2) + be32(2) + be32(3);
  for (int k = 0; k < 12; ++k) u8 += static_cast<char>(k * 20);
  const auto a = kit::read_idx(write_bytes("xbarsim_test_u8.idx", u8), "images");
  CHECK(a.shape == std::vector<std::size_t>{2, 2, 3});
  CHECK(a.data[11] == 220);  // 220 stays unsigned
  // Labels: one dimension.
  const auto l =
      kit::read_idx(write_bytes("xbarsim_test_lab.idx", std::string("\0\0\x08\x01", 4) + be32(3) +
                                                            std::string("\x07\x00\x09", 3)),
                    "labels");
  CHECK(l.shape == std::vector<std::size_t>{3});
  CHECK(l.data == std::vector<double>{7, 0, 9});
  // Big-endian float32: 1.5 = 0x3fc00000, -2 = 0xc0000000.
  const auto f = kit::read_idx(
      write_bytes("xbarsim_test_f32.idx", std::string("\0\0\x0d\x01", 4) + be32(2) +
                                              std::string("\x3f\xc0\0\0\xc0\0\0\0", 8)),
      "floats");
  CHECK(f.data == std::vector<double>{1.5, -2.0});
}

TEST_CASE("IDX mistakes are one clear error", "[core][idx]") {
  auto error_of = [](const std::string& bytes) {
    try {
      kit::read_idx(write_bytes("xbarsim_test_bad.idx", bytes), "images");
    } catch (const kit::InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(error_of("\x89PNG"), Catch::Contains("not an IDX file"));
  CHECK_THAT(error_of(std::string("\0\0\x07\x01", 4) + be32(1) + "x"),
             Catch::Contains("type code 0x07"));
  CHECK_THAT(error_of(std::string("\0\0\x08\x03", 4) + be32(2)), Catch::Contains("truncated"));
  CHECK_THAT(error_of(std::string("\0\0\x08\x01", 4) + be32(5) + "abc"),
             Catch::Contains("3 bytes of data for a header that needs 5"));
  CHECK_THAT(error_of(std::string("\0\0\x08\x02", 4) + be32(1u << 31) + be32(1u << 31)),
             Catch::Contains("impossibly large"));
  CHECK_THROWS_AS(kit::read_idx("/nonexistent/xbarsim.idx", "images"), kit::InputError);
}
