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
if(XBARSIM_WERROR)
  target_compile_options(xbarsim_options INTERFACE -Werror)
endif()
if(XBARSIM_NATIVE)
  target_compile_options(xbarsim_options INTERFACE -march=native)
endif()
if(XBARSIM_SANITIZE)
  target_compile_options(xbarsim_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
    # GCC 12 reports false maybe-uninitialized in libstdc++ (std::regex,
    # std::function) once ASan instruments it.
    -Wno-maybe-uninitialized)
  target_link_options(xbarsim_options INTERFACE -fsanitize=address,undefined)
endif()
if(XBARSIM_FUZZ)
  # Coverage instrumentation for our libraries; the fuzz target links libFuzzer.
  target_compile_options(xbarsim_options INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  target_link_options(xbarsim_options INTERFACE -fsanitize=address,undefined)
endif()
