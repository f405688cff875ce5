#include "core/nn/layer_blocks.h"

#include <algorithm>

#include "core/kit/error.h"

namespace xbarsim::nn {

std::vector<Span> spans(std::size_t n, std::size_t max) {
  if (max == 0) throw kit::InputError("layer blocks: an array block must hold at least one cell");
  std::vector<Span> out;
  out.reserve((n + max - 1) / max);
  for (std::size_t first = 0; first < n; first += max) {
    out.push_back({first, std::min(max, n - first)});
  }
  return out;
}

BlockPlan block_plan(const Layer& l, std::size_t max_rows, std::size_t max_cols) {
  return {spans(l.rows(), max_rows), spans(l.group_cols(), max_cols), l.groups};
}

}  // namespace xbarsim::nn
