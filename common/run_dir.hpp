#pragma once
// Shared plumbing of the long-running runs (pib rl, latency, train, and the Python module): loading a JSON config with --set
// overrides, creating and locking the run directory, writing JSON files atomically, and the progress line.

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/binary_io.hpp"
#include "common/config.hpp"
#include "common/error.hpp"

namespace pib {

// Reads a JSON file; a missing file or malformed JSON is a FileError naming the file (and the position).
inline nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) raise<FileError>(path, ": cannot open (missing or unreadable)");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    raise<FileError>(path, ": not valid JSON: ", e.what());
  }
}

// The config file with every --set key.path=value applied in order.
inline nlohmann::json load_config(const std::string& path, const std::vector<std::string>& overrides) {
  nlohmann::json j = path.empty() ? nlohmann::json::object() : read_json_file(path);
  for (const auto& o : overrides)
    apply_override(j, o);
  return j;
}

// Writes `j` to `path` atomically (pib::write_file_atomically).
inline void write_json_file(const std::filesystem::path& path, const nlohmann::json& j) {
  write_file_atomically(path, j.dump(2) + "\n");
}

// An advisory lock on a run directory, held while a run writes it: flock(2) on DIR/.lock, which holds the
// holder's process id. A second writer — another process, or another lock object in this one — fails
// with a StateError naming that process id. The kernel releases the lock when the holder exits, however it
// exits; the .lock file stays behind, emptied on an orderly release.
class RunDirLock {
 public:
  explicit RunDirLock(const std::filesystem::path& dir) : file_(dir / ".lock") {
    fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      raise<FileError>(file_.string(), ": cannot open the run directory's lock file: ",
                       std::system_category().message(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      const std::string holder = read_holder();
      ::close(fd_);
      fd_ = -1;
      if (err != EWOULDBLOCK)
        raise<FileError>(file_.string(),
                         ": cannot lock the run directory: ", std::system_category().message(err));
      raise<StateError>(dir.string(), " is in use by another run (process ",
                        holder.empty() ? "unknown" : holder, " holds ", file_.string(),
                        "); wait for it to end or choose another directory");
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) != 0 ||
        ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
      release();
      raise<FileError>(file_.string(), ": cannot write the lock file");
    }
  }
  ~RunDirLock() { release(); }
  RunDirLock(RunDirLock&& other) noexcept
      : file_(std::move(other.file_)), fd_(std::exchange(other.fd_, -1)) {}
  RunDirLock& operator=(RunDirLock&&) = delete;
  RunDirLock(const RunDirLock&) = delete;
  RunDirLock& operator=(const RunDirLock&) = delete;

  // Empties the lock file and releases the lock (also done by the destructor).
  void release() {
    if (fd_ < 0) return;
    [[maybe_unused]] const int truncated = ::ftruncate(fd_, 0);
    ::close(fd_);  // closing the only descriptor of the open file description releases the flock
    fd_ = -1;
  }

 private:
  // The process id the holder wrote, or "" if it has not written it yet.
  std::string read_holder() const {
    char buffer[32] = {};
    const ssize_t n = ::pread(fd_, buffer, sizeof buffer - 1, 0);
    std::string text(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
      text.pop_back();
    return text;
  }

  std::filesystem::path file_;
  int fd_ = -1;
};

// A run directory, locked for as long as this object lives.
struct RunDir {
  std::filesystem::path path;
  RunDirLock lock;
};

// Locks an existing run directory (`pib rl --resume`).
inline RunDir lock_run_dir(const std::filesystem::path& dir) {
  return {dir, RunDirLock(dir)};
}

// A new run directory, locked: `requested` if given (created if absent), else runs/<stem>-seed<S>[-k].
inline RunDir make_run_dir(const std::string& requested, const std::string& stem, std::uint64_t seed) {
  std::filesystem::path dir = requested;
  if (dir.empty()) {
    const std::string base = "runs/" + stem + "-seed" + std::to_string(seed);
    dir = base;
    for (int k = 1; std::filesystem::exists(dir); ++k)
      dir = base + "-" + std::to_string(k);
  }
  std::filesystem::create_directories(dir);
  return lock_run_dir(dir);
}

// One progress line on stderr: rewritten in place on a terminal, a new line otherwise.
inline void progress_line(const std::string& text, bool final = false) {
  static const bool tty = isatty(fileno(stderr));
  if (tty) {
    std::fprintf(stderr, "\r\033[K%s%s", text.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", text.c_str());
  }
  std::fflush(stderr);
}

}  // namespace pib
