#include "core/kit/csv_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "core/kit/error.h"
#include "core/kit/io.h"

namespace xbarsim::kit {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  for (std::string f; std::getline(ss, f, ',');) out.push_back(trim(f));
  if (!line.empty() && trim(line).back() == ',') out.emplace_back();
  return out;
}

}  // namespace

CsvTable CsvTable::read(const std::string& path, const std::string& what) {
  CsvTable t;
  t.path_ = path;
  std::stringstream in(read_file(path, what + " '" + path + "'"));
  std::string line;
  if (!std::getline(in, line) || trim(line).empty()) {
    throw InputError(fmt::format("{}: empty file (the first line must be the header)", path));
  }
  t.header_ = split(line);
  for (std::size_t row = 1; std::getline(in, line); ++row) {
    if (trim(line).empty()) continue;
    std::vector<std::string> f = split(line);
    if (f.size() != t.header_.size()) {
      throw InputError(fmt::format("{}: row {} has {} fields for {} columns", path, row, f.size(),
                                   t.header_.size()));
    }
    t.rows_.push_back(std::move(f));
    t.row_numbers_.push_back(row);
  }
  return t;
}

long CsvTable::column(const std::string& name) const {
  const auto it = std::find(header_.begin(), header_.end(), name);
  return it == header_.end() ? -1 : static_cast<long>(it - header_.begin());
}

void CsvTable::require(const std::vector<std::string>& names, const std::string& hint) const {
  std::vector<std::string> missing;
  for (const auto& n : names) {
    if (column(n) < 0) missing.push_back(n);
  }
  if (!missing.empty()) {
    throw InputError(fmt::format("{}: no column {} in the header \"{}\"; {}", path_,
                                 fmt::join(missing, ", "), fmt::join(header_, ","), hint));
  }
}

const std::string& CsvTable::text(std::size_t r, long c) const {
  static const std::string kEmpty;
  return c < 0 ? kEmpty : rows_[r][static_cast<std::size_t>(c)];
}

double CsvTable::number(std::size_t r, long c) const {
  const std::string& s = text(r, c);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v)) {
    throw InputError(fmt::format("{}: row {}, column {}: \"{}\" is not a finite number", path_,
                                 row_numbers_[r], header_[static_cast<std::size_t>(c)], s));
  }
  return v;
}

}  // namespace xbarsim::kit
