#pragma once
// How a matrix layer's weights split into array-sized blocks: each group's
// rows() x group_cols() matrix (one group but for grouped convolutions) in
// blocks of at most array rows x data columns, every group on its own
// arrays. The functional run (MappedNetwork) programs one tile per block
// and the performance model (core/ppa/) counts the blocks, both from this
// plan.
#include <cstddef>
#include <vector>

#include "core/nn/layers/layer.h"

namespace xbarsim::nn {

struct Span {
  std::size_t first = 0, count = 0;
};

// [0, n) in consecutive spans of `max` (the last one shorter); max > 0.
std::vector<Span> spans(std::size_t n, std::size_t max);

struct BlockPlan {
  std::vector<Span> rows, cols;  // one group's row blocks (<= array rows) and column blocks
  std::size_t groups = 1;        // each with the same blocks
  std::size_t blocks() const { return groups * rows.size() * cols.size(); }
};

BlockPlan block_plan(const Layer& l, std::size_t max_rows, std::size_t max_cols);

}  // namespace xbarsim::nn
