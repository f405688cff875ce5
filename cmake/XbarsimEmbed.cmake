# Compiles every JSON file under configs/ into a C++ table
# (path relative to configs/, text), regenerated when a file changes.
function(xbarsim_embed_configs src_dir out_file)
  file(GLOB_RECURSE json_files CONFIGURE_DEPENDS "${src_dir}/*.json")
  add_custom_command(
    OUTPUT ${out_file}
    COMMAND ${CMAKE_COMMAND} -DSRC_DIR=${src_dir} -DOUT_FILE=${out_file}
            -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/embed_configs.cmake
    DEPENDS ${json_files} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/embed_configs.cmake
    COMMENT "Embedding configs/*.json")
  set(XBARSIM_EMBEDDED_CONFIGS_CPP ${out_file} PARENT_SCOPE)
endfunction()
