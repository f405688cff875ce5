#include "core/kit/io.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/kit/error.h"

namespace xbarsim::kit {

int open_regular_file(const std::string& path, const std::string& what, std::size_t max_bytes) {
  if (path.find('\0') != std::string::npos) throw InputError(what + ": the path holds a NUL byte");
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw InputError(what + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError(what + (S_ISDIR(st.st_mode) ? ": is a directory, not a file"
                                                 : ": is not a regular file (a pipe or device?)"));
  }
  if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    ::close(fd);
    throw InputError(what + ": " + std::to_string(st.st_size) + " bytes is more than the " +
                     std::to_string(max_bytes) + " this input may hold");
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

std::string read_file(const std::string& path, const std::string& what, std::size_t max_bytes) {
  const int fd = open_regular_file(path, what, max_bytes);
  std::string bytes;
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw InputError(what + ": cannot read: " + std::strerror(err));
    }
    if (n == 0) break;
    bytes.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return bytes;
}

double physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), size = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? static_cast<double>(pages) * static_cast<double>(size) : 0.0;
}

void require_memory(double bytes, const std::string& what, const std::string& hint) {
  const double have = physical_memory_bytes();
  if (have > 0 && !(bytes <= have)) {
    throw InputError(what + " needs about " + fmt::format("{:.3g}", bytes / 1e9) +
                     " GB of memory; this machine has " + fmt::format("{:.3g}", have / 1e9) +
                     " GB; " + hint);
  }
}

void require_writable(const std::string& path, const std::string& what) {
  if (path == "-") return;
  if (path.empty() || path.find('\0') != std::string::npos) {
    throw InputError(what + ": '" + path + "' is not a usable file name");
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw InputError(what + " '" + path + "': is a directory; give a file name");
  }
  const std::string probe = path + ".probe." + std::to_string(::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw InputError(what + " '" + path + "': cannot be written: " + std::strerror(errno));
  }
  ::close(fd);
  ::unlink(probe.c_str());
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw RuntimeError("cannot write '" + path + "': " + std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw RuntimeError("cannot write '" + path + "': " + std::strerror(err));
    }
    done += static_cast<std::size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw RuntimeError("cannot write '" + path + "': " + std::strerror(err));
  }
}

AppendFile::AppendFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw RuntimeError("cannot open '" + path + "' for appending: " + std::strerror(errno));
  }
}

AppendFile::~AppendFile() {
  if (fd_ >= 0) ::close(fd_);
}

void AppendFile::append_line(const std::string& line) {
  add(line);
  commit();
}

void AppendFile::add(const std::string& line) {
  pending_ += line;
  pending_ += '\n';
}

void AppendFile::commit() {
  if (pending_.empty()) return;
  std::size_t done = 0;
  while (done < pending_.size()) {
    const auto n = ::write(fd_, pending_.data() + done, pending_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      pending_.erase(0, done);  // a retry goes on from where this write stopped
      throw RuntimeError("cannot write '" + path_ + "': " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  pending_.clear();
  if (::fsync(fd_) != 0) {
    throw RuntimeError("cannot flush '" + path_ + "' to disk: " + std::strerror(errno));
  }
}

std::vector<std::string> read_complete_lines(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  const std::string text = read_file(path, "file '" + path + "'");
  const auto end = text.rfind('\n');
  const std::size_t keep = end == std::string::npos ? 0 : end + 1;
  if (keep < text.size() && ::truncate(path.c_str(), static_cast<off_t>(keep)) != 0) {
    throw RuntimeError("cannot trim the unfinished last line of '" + path +
                       "': " + std::strerror(errno));
  }
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < keep) {
    const auto nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

}  // namespace xbarsim::kit
