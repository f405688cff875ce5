// Force-included (-include) into every translation unit when compiling with
// GCC older than 13 for x86. GCC 12's own AVX-512 intrinsic headers trip a
// false -Wmaybe-uninitialized once Eigen's AVX-512 kernels are inlined: the
// `_mm512_undefined_*()` pass-through operands are self-initialised on
// purpose (GCC bug 105593, fixed in GCC 13); at -O1 (the sanitizer build)
// the same lines are reported as -Wuninitialized. The warning's location is the
// intrinsic header itself, so including <immintrin.h> first, inside this
// push/pop, silences exactly those lines; -Wmaybe-uninitialized stays on for
// every line of ours and of Eigen's.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
