#pragma once
// Whole-file reads with one-line errors, and durable atomic writes.
#include <string>

namespace xbarsim::kit {

// Reads a file; `what` names it in errors ("config file 'a.json'"). A missing,
// unreadable or directory path is an InputError.
std::string read_file(const std::string& path, const std::string& what);

// Writes bytes to path atomically: temp file in the same folder, fsync,
// rename. A failure leaves no partial file (RuntimeError).
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace xbarsim::kit
