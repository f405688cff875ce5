#pragma once
// Error types shared by every layer. Each maps to a process exit code:
// 0 ok, 1 runtime failure, 2 bad input (config, arrays, arguments).
#include <stdexcept>
#include <string>

namespace xbarsim::kit {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitBadInput = 2;

// A configuration mistake. The message starts with the JSON path of the
// offending node ("config array.rows: ..."). Python sees it as ValueError.
class ConfigError : public std::invalid_argument {
 public:
  ConfigError(const std::string& path, const std::string& problem)
      : std::invalid_argument("config " + (path.empty() ? std::string("(top level)") : path) +
                              ": " + problem),
        path_(path) {}
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Bad user data other than the config: array files, shapes, NaN values,
// command-line arguments. Python sees it as ValueError.
class InputError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Something failed while doing valid work (I/O error, non-convergence).
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Exit code for an exception escaping to the CLI.
inline int exit_code_for(const std::exception& e) {
  if (dynamic_cast<const std::invalid_argument*>(&e) != nullptr) return kExitBadInput;
  return kExitRuntime;
}

}  // namespace xbarsim::kit
