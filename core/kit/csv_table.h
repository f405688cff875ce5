#pragma once
// A CSV file with a header row, read as text fields: the measured-data files
// the fits read (pulse responses, programming and relaxation data).
//
// Contract: fields are comma separated and trimmed of spaces; blank lines
// are skipped; every row has as many fields as the header. Errors are
// InputError naming the file, and the row (1 = the first data row) and
// column where one is at fault.
#include <string>
#include <vector>

namespace xbarsim::kit {

class CsvTable {
 public:
  // `what` describes the file for the read error ("pulse-response data").
  static CsvTable read(const std::string& path, const std::string& what);

  // Column index of `name`, or -1.
  long column(const std::string& name) const;
  // Refuses a header without every one of `names`, listing what it holds
  // and `hint` (what a header must name).
  void require(const std::vector<std::string>& names, const std::string& hint) const;
  std::size_t rows() const { return rows_.size(); }
  // CSV row number of data row r (1 = the first data row; blank lines count).
  std::size_t row_number(std::size_t r) const { return row_numbers_[r]; }
  // Field c of data row r ("" when c < 0: an optional column that is absent).
  const std::string& text(std::size_t r, long c) const;
  // Field c of data row r as a finite number.
  double number(std::size_t r, long c) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::size_t> row_numbers_;
};

}  // namespace xbarsim::kit
