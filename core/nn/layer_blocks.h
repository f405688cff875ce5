#pragma once
// How a matrix layer's weights (rows x cols) split into array-sized blocks.
// The functional run (MappedNetwork) programs one tile per block and the
// performance model (core/ppa/) counts the blocks, both from this plan.
#include <cstddef>
#include <vector>

namespace xbarsim::nn {

struct Span {
  std::size_t first = 0, count = 0;
};

// [0, n) in consecutive spans of `max` (the last one shorter); max > 0.
std::vector<Span> spans(std::size_t n, std::size_t max);

struct BlockPlan {
  std::vector<Span> rows, cols;  // row blocks of <= array rows, column blocks of <= data columns
  std::size_t blocks() const { return rows.size() * cols.size(); }
};

BlockPlan block_plan(std::size_t rows, std::size_t cols, std::size_t max_rows,
                     std::size_t max_cols);

}  // namespace xbarsim::nn
