#pragma once
// Process memory policy for simulation processes (the CLI, the Python
// module).

#include <cstddef>

namespace xbarsim::kit {

// Keeps freed memory in the process for the next allocation instead of
// giving it back to the system: blocks up to 1 GiB come from the heap, not
// from their own mmap(), and the heap is never trimmed. A tile read's
// temporaries (the DAC's bit planes alone are 231 MB for a 3x3x16
// convolution at batch 256) are then page-faulted in once per process
// rather than at every read; on this project's 2-core VM that halves the
// default `xbarsim run` (BENCHMARKS.md, "Memory reuse"). The cost: the
// process keeps its peak heap until it exits. glibc only; elsewhere a no-op.
void reuse_freed_memory();

// Advises the kernel to back the 2 MiB-aligned part of [p, p + bytes) with
// transparent huge pages when it is first touched: a large buffer about to
// be filled (an imported model's weights) then takes one page fault per
// 2 MiB instead of one per 4 KiB (51,600 faults for ResNet-50's import, at
// ~8 µs each on this project's VM; BENCHMARKS.md). Advice only: no effect
// where THP is off ("never") or unsupported, and touched pages stay as they
// are. Linux only; elsewhere a no-op.
void advise_huge_pages(const void* p, std::size_t bytes);

}  // namespace xbarsim::kit
