#pragma once
// Whole-file reads with one-line errors, and durable atomic writes.
#include <cstddef>
#include <string>
#include <vector>

namespace xbarsim::kit {

// Reads a file; `what` names it in errors ("config file 'a.json'"). A missing,
// unreadable or non-regular path (directory, FIFO, device such as /dev/zero)
// and a file over max_bytes are InputErrors, raised before reading.
inline constexpr std::size_t kMaxReadBytes = std::size_t{4} << 30;  // 4 GiB
std::string read_file(const std::string& path, const std::string& what,
                      std::size_t max_bytes = kMaxReadBytes);
// The same checks, then the open file descriptor (the caller closes it): for
// readers that stream a large file instead of holding it twice.
int open_regular_file(const std::string& path, const std::string& what,
                      std::size_t max_bytes = kMaxReadBytes);

// Checks, before any work, that path can be written (its folder exists and
// takes a new file; path itself is not a folder): InputError naming `what`
// otherwise. "-" (stdout) always passes. Leaves nothing behind.
void require_writable(const std::string& path, const std::string& what);

// Physical memory of this machine (bytes).
double physical_memory_bytes();
// Refuses work estimated to need more than the machine's physical memory,
// before any allocation: InputError "<what> needs about X GB ...; this machine
// has Y GB; <hint>".
void require_memory(double bytes, const std::string& what, const std::string& hint);

// Writes bytes to path atomically: temp file in the same folder, fsync,
// rename. A failure leaves no partial file (RuntimeError).
void write_file_atomic(const std::string& path, const std::string& bytes);

// A file that only grows by whole lines, made durable (write, fsync) before
// append_line or commit returns, so a kill at any moment leaves the lines
// already committed intact (at most a last line without its newline, which
// the opener trims). The destructor does not commit: lines added since the
// last commit are dropped, as a kill would drop them. Not thread-safe:
// callers serialize appends.
class AppendFile {
 public:
  explicit AppendFile(const std::string& path);
  ~AppendFile();
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  void append_line(const std::string& line);  // line without its newline: added and committed
  // Group commit: add() holds lines in memory, commit() writes them and
  // fsyncs once; what was added since the last commit is lost to a kill.
  void add(const std::string& line);
  void commit();
  std::size_t pending() const { return pending_.size(); }

 private:
  std::string path_;
  std::string pending_;
  int fd_ = -1;
};

// The complete lines of a file written by AppendFile, after trimming an
// unfinished last line from the file itself; no file = no lines.
std::vector<std::string> read_complete_lines(const std::string& path);

}  // namespace xbarsim::kit
