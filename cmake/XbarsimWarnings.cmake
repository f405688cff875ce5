# Private interface target carrying the project's warnings, sanitizer and
# tuning flags; linked PRIVATE by every target we own.
add_library(xbarsim_options INTERFACE)
add_library(xbarsim::options ALIAS xbarsim_options)
target_compile_options(xbarsim_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wdouble-promotion
  -Wimplicit-fallthrough)
# We never read errno after math calls or test floating-point exception
# flags; without these sqrt() cannot vectorise, nor can a select between two
# computed values (x < c ? a : b) be made branch-free. Values are unchanged.
target_compile_options(xbarsim_options INTERFACE -fno-math-errno -fno-trapping-math)
# Eigen never threads a product itself: its threaded GEMM picks cache blocks
# by the thread count, which changes the rounding. Products that are worth
# threading go through kit::gemm (fixed row blocks, core/kit/gemm.h).
target_compile_definitions(xbarsim_options INTERFACE EIGEN_DONT_PARALLELIZE)
if(XBARSIM_WERROR)
  target_compile_options(xbarsim_options INTERFACE -Werror)
endif()
# The target ISA: XBARSIM_MARCH if given (e.g. x86-64-v3 for AVX2, x86-64-v4
# for AVX-512; ./test compiles the libraries once for the ISA the host is not),
# else -march=native when XBARSIM_NATIVE is on.
if(XBARSIM_MARCH)
  target_compile_options(xbarsim_options INTERFACE -march=${XBARSIM_MARCH})
elseif(XBARSIM_NATIVE)
  target_compile_options(xbarsim_options INTERFACE -march=native)
endif()
# GCC 12's AVX-512 headers: see cmake/gcc12_intrinsics.h (the narrowest cure
# for GCC bug 105593 that keeps -Werror: only the intrinsic headers' lines).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13
   AND CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  target_compile_options(xbarsim_options INTERFACE
    "SHELL:-include ${CMAKE_CURRENT_LIST_DIR}/gcc12_intrinsics.h")
endif()
if(XBARSIM_SANITIZE)
  target_compile_options(xbarsim_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
    # UBSan's alignment, null and vptr checks double GCC 12's compile time of
    # the Eigen-heavy files (tile.cpp: 66 s -> 29 s at -O1 without them); a
    # null dereference still stops under ASan, and a misaligned Eigen access
    # faults in the AVX instructions themselves.
    -fno-sanitize=alignment,null,vptr
    # GCC 12 reports false maybe-uninitialized in libstdc++ (std::regex,
    # std::function) once ASan instruments it.
    -Wno-maybe-uninitialized)
  target_link_options(xbarsim_options INTERFACE -fsanitize=address,undefined)
  # Tests that would take minutes under the sanitizers run smaller there.
  target_compile_definitions(xbarsim_options INTERFACE XBARSIM_SANITIZED)
endif()
# The front ends (CLI, Python module, test files) under the sanitizers:
# compiled without optimisation while the libraries they call keep -O1.
# Instrumenting them at -O1 took twice the time of the Release compile, and
# the time they run is spent in the libraries.
function(xbarsim_front_end_options target)
  if(XBARSIM_SANITIZE)
    target_compile_options(${target} PRIVATE -O0)
  endif()
endfunction()
if(XBARSIM_FUZZ)
  # Coverage instrumentation for our libraries; the fuzz target links libFuzzer.
  target_compile_options(xbarsim_options INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  target_link_options(xbarsim_options INTERFACE -fsanitize=address,undefined)
  # Tests that would take minutes under the sanitizers run smaller there.
  target_compile_definitions(xbarsim_options INTERFACE XBARSIM_SANITIZED)
endif()
