#include "core/kit/memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace xbarsim::kit {

void reuse_freed_memory() {
#if defined(__GLIBC__)
  // Either setting also stops glibc's sliding mmap threshold from adapting.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, -1);  // never trim: -1 is the largest size_t
#endif
}

}  // namespace xbarsim::kit
