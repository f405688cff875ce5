# Script mode: writes OUT_FILE defining xbarsim::kit::embedded_configs().
file(GLOB_RECURSE json_files RELATIVE "${SRC_DIR}" "${SRC_DIR}/*.json")
list(SORT json_files)
set(body "")
foreach(rel IN LISTS json_files)
  file(READ "${SRC_DIR}/${rel}" text)
  string(APPEND body "      {\"${rel}\", R\"xbarsim_json(${text})xbarsim_json\"},\n")
endforeach()
file(WRITE "${OUT_FILE}.tmp"
"// Generated from configs/ by cmake/embed_configs.cmake; do not edit.
#include \"core/kit/embedded.h\"

namespace xbarsim::kit {

const std::vector<EmbeddedFile>& embedded_configs() {
  static const std::vector<EmbeddedFile> files = {
${body}  };
  return files;
}

}  // namespace xbarsim::kit
")
file(COPY_FILE "${OUT_FILE}.tmp" "${OUT_FILE}" ONLY_IF_DIFFERENT)
