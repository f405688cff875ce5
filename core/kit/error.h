#pragma once
// Error types shared by every layer. Each maps to a process exit code:
// 0 ok, 1 runtime failure, 2 bad input (config, arrays, arguments).
#include <stdexcept>
#include <string>

namespace xbarsim::kit {

inline constexpr int kExitRuntime = 1;
inline constexpr int kExitBadInput = 2;

// A message as what() can carry it: what() is a C string, so a NUL byte
// quoted from the input would cut the message there; it is written \0.
inline std::string printable(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\0') {
      out += "\\0";
    } else {
      out += c;
    }
  }
  return out;
}

// A configuration mistake. The message starts with the JSON path of the
// offending node ("config array.rows: ..."). Python sees it as ValueError.
class ConfigError : public std::invalid_argument {
 public:
  ConfigError(const std::string& path, const std::string& problem)
      : std::invalid_argument(printable(
            "config " + (path.empty() ? std::string("(top level)") : path) + ": " + problem)),
        path_(path) {}
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Bad user data other than the config: array files, shapes, NaN values,
// command-line arguments. Python sees it as ValueError.
class InputError : public std::invalid_argument {
 public:
  explicit InputError(const std::string& message) : std::invalid_argument(printable(message)) {}
};

// Something failed while doing valid work (I/O error, non-convergence).
class RuntimeError : public std::runtime_error {
 public:
  explicit RuntimeError(const std::string& message) : std::runtime_error(printable(message)) {}
};

// Exit code for an exception escaping to the CLI.
inline int exit_code_for(const std::exception& e) {
  if (dynamic_cast<const std::invalid_argument*>(&e) != nullptr) return kExitBadInput;
  return kExitRuntime;
}

}  // namespace xbarsim::kit
