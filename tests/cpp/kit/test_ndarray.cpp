#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/kit/error.h"
#include "core/kit/io.h"
#include "core/kit/ndarray.h"

using namespace xbarsim::kit;

namespace {
std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("xbarsim_test_" + name)).string();
}
}  // namespace

TEST_CASE("npy round trip in float64 and float32", "[core][io]") {
  const NdArray a{{2, 3}, {1.5, -2.0, 3.25, 0.0, 1e-300, -7.0}};
  const auto p = temp_path("a.npy");
  write_npy(p, a);
  const NdArray b = read_npy(p, "a");
  CHECK(b.shape == a.shape);
  CHECK(b.data == a.data);
  write_npy(p, a, true);
  const NdArray c = read_npy(p, "a");
  CHECK(c.data[2] == Approx(3.25));
  CHECK(c.data[4] == 0.0);  // underflows in float32
  std::remove(p.c_str());
}

TEST_CASE("npy reader handles versions, dtypes and refuses what it cannot read", "[core][io]") {
  const auto p = temp_path("b.npy");
  auto write_raw = [&](const std::string& header, const std::string& data, char version) {
    std::string h = header;
    const std::size_t pre = version == 1 ? 10 : 12;
    h.append((64 - (pre + h.size() + 1) % 64) % 64, ' ');
    h.push_back('\n');
    std::string bytes("\x93NUMPY", 6);
    bytes.push_back(version);
    bytes.push_back('\0');
    bytes.push_back(static_cast<char>(h.size() & 0xff));
    bytes.push_back(static_cast<char>(h.size() >> 8));
    if (version != 1) bytes.append(2, '\0');
    write_file_atomic(p, bytes + h + data);
  };
  // Big-endian int16, version 2.
  write_raw("{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }",
            std::string("\x01\x02\xff\xfe", 4), 2);
  auto a = read_npy(p, "x");
  CHECK(a.shape == std::vector<std::size_t>{2});
  CHECK(a.data == std::vector<double>{258.0, -2.0});
  write_raw("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1), }", std::string(4, '\0'), 1);
  CHECK_THROWS_WITH(read_npy(p, "x"), Catch::Contains("Fortran"));
  write_raw("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0'), 1);
  CHECK_THROWS_WITH(read_npy(p, "x"), Catch::Contains("unsupported dtype '<c8'"));
  write_raw("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", std::string(8, '\0'), 1);
  CHECK_THROWS_WITH(read_npy(p, "x"), Catch::Contains("truncated data"));
  write_raw("{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000, 100000), }", "", 1);
  CHECK_THROWS_WITH(read_npy(p, "x"), Catch::Contains("too large"));
  std::remove(p.c_str());
  CHECK_THROWS_WITH(read_npy(p, "weights"), Catch::Contains("No such file"));
}

TEST_CASE("csv round trip and errors", "[core][io]") {
  const auto p = temp_path("c.csv");
  const NdArray a{{2, 2}, {1.0, 2.5, -3.0, 1e-9}};
  write_csv(p, a);
  const NdArray b = read_csv(p, "c");
  CHECK(b.shape == a.shape);
  CHECK(b.data == a.data);
  write_file_atomic(p, "1,2\n3\n");
  CHECK_THROWS_WITH(read_csv(p, "c"), Catch::Contains("line 2 has 1 values, expected 2"));
  write_file_atomic(p, "1,x\n");
  CHECK_THROWS_WITH(read_csv(p, "c"), Catch::Contains("'x' is not a number"));
  std::remove(p.c_str());
}

TEST_CASE("npz archives hold one npy per key", "[core][io]") {
  const auto p = temp_path("d.npz");
  write_npz(p, {{"g_pos", NdArray{{1, 2}, {1.0, 2.0}}}, {"g_neg", NdArray{{1, 1}, {3.0}}}});
  std::ifstream in(p, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(bytes.substr(0, 4) == std::string("PK\x03\x04", 4));
  CHECK(bytes.find("g_pos.npy") != std::string::npos);
  CHECK(bytes.find("g_neg.npy") != std::string::npos);
  std::remove(p.c_str());
}
