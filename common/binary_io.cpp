#include "common/binary_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace pib {
namespace {

constexpr std::size_t kMagicBytes = 8;
constexpr std::size_t kHeaderBytes = kMagicBytes + sizeof(std::uint32_t);
constexpr std::size_t kHashBytes = sizeof(std::uint64_t);

std::string errno_text(int err) {
  return std::system_category().message(err);
}

// The magic as stored: the name NUL-padded to 8 bytes.
std::string stored_magic(const BinaryFormat& format) {
  PIB_EXPECTS(format.magic.size() <= kMagicBytes, "magic '", format.magic, "' is longer than 8 bytes");
  std::string m(format.magic);
  m.resize(kMagicBytes, '\0');
  return m;
}

// Closes a file descriptor on scope exit unless released.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now; returns close()'s result.
  int close() {
    const int r = ::close(fd_);
    fd_ = -1;
    return r;
  }

 private:
  int fd_;
};

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  static std::atomic<unsigned> counter{0};
  const std::string name = path.string();
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::string tmp_name = ".";
  tmp_name.append(path.filename().string())
      .append(".tmp.")
      .append(std::to_string(::getpid()))
      .append(".")
      .append(std::to_string(counter.fetch_add(1)));
  const std::filesystem::path tmp = dir / tmp_name;
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (fd.get() < 0)
    raise<FileError>(name, ": cannot create a temporary file in ", dir.string(), ": ", errno_text(errno));
  try {
    for (std::size_t done = 0; done < bytes.size();) {
      const ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) raise<FileError>(name, ": writing failed: ", errno_text(n < 0 ? errno : EIO));
      done += static_cast<std::size_t>(n);
    }
    // The content is durable before the rename makes it visible under the final name.
    if (::fsync(fd.get()) != 0) raise<FileError>(name, ": fsync failed: ", errno_text(errno));
    if (fd.close() != 0) raise<FileError>(name, ": closing the temporary file failed: ", errno_text(errno));
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      raise<FileError>(name, ": renaming the temporary file into place failed: ", errno_text(errno));
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw;
  }
  // The rename itself is durable once the directory is synced. A file system that cannot sync a directory
  // (EINVAL) gives no stronger promise; anything else is a failure.
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.get() < 0) raise<FileError>(name, ": cannot open its directory to sync it: ", errno_text(errno));
  if (::fsync(d.get()) != 0 && errno != EINVAL)
    raise<FileError>(name, ": fsync of the directory failed: ", errno_text(errno));
}

std::string read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) raise<FileError>(path.string(), ": cannot open (missing or unreadable)");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) raise<FileError>(path.string(), ": reading failed");
  return std::move(ss).str();
}

BinaryWriter::BinaryWriter(const BinaryFormat& format) {
  const std::string magic = stored_magic(format);
  bytes(magic.data(), magic.size());
  value(format.version);
}

std::string BinaryWriter::finish() {
  PIB_EXPECTS(!finished_, "BinaryWriter::finish() called twice");
  Fnv1a64 hash;
  hash.update(buffer_);
  const std::uint64_t digest = hash.digest();
  buffer_.append(reinterpret_cast<const char*>(&digest), sizeof digest);
  finished_ = true;
  return std::move(buffer_);
}

void BinaryWriter::commit(const std::filesystem::path& file) {
  write_file_atomically(file, finish());
}

BinaryReader::BinaryReader(const BinaryFormat& format, const std::filesystem::path& file)
    : format_(format), source_(file.string()), data_(read_file_bytes(file)) {
  check_magic(std::string_view(data_).substr(0, kMagicBytes));
  if (data_.size() < kHeaderBytes + kHashBytes)
    fail("truncated ", format_.name, " (", data_.size(), " bytes, shorter than header and hash)");
  end_ = data_.size() - kHashBytes;
  pos_ = kMagicBytes;
  check_version();
  std::uint64_t stored;
  std::memcpy(&stored, data_.data() + end_, sizeof stored);
  Fnv1a64 hash;
  hash.update(data_.data(), end_);
  if (stored != hash.digest())
    fail("corrupt ", format_.name, ": hash mismatch (the file is truncated or was modified)");
}

BinaryReader::BinaryReader(const BinaryFormat& format, std::istream& in, std::string source)
    : format_(format), source_(std::move(source)), stream_(&in) {
  char magic[kMagicBytes];
  in.read(magic, sizeof magic);
  const auto got = static_cast<std::size_t>(in.gcount());
  check_magic(std::string_view(magic, got));
  stream_hash_.update(magic, sizeof magic);
  check_version();
}

void BinaryReader::check_magic(std::string_view got) const {
  const std::string magic = stored_magic(format_);
  if (got != std::string_view(magic).substr(0, got.size()))
    fail("not a pib ", format_.name, " (wrong magic header)");
  if (got.size() < magic.size())
    fail("truncated ", format_.name, " (", got.size(), " bytes, shorter than the header)");
}

void BinaryReader::check_version() {
  const auto version = value<std::uint32_t>();
  if (version != format_.version)
    fail(format_.name, " format version ", version, ", this pib reads version ", format_.version);
}

void BinaryReader::bytes(void* out, std::size_t n) {
  if (n == 0) return;
  if (stream_ != nullptr) {
    stream_->read(static_cast<char*>(out), static_cast<std::streamsize>(n));
    if (static_cast<std::size_t>(stream_->gcount()) != n)
      fail("truncated ", format_.name, " (the data ends inside a ", n, "-byte field)");
    stream_hash_.update(out, n);
    return;
  }
  if (n > end_ - pos_) fail("truncated ", format_.name, " (the data ends inside a ", n, "-byte field)");
  std::memcpy(out, data_.data() + pos_, n);
  pos_ += n;
}

std::size_t BinaryReader::count(std::size_t element_size) {
  const auto n = value<std::uint64_t>();
  if (stream_ == nullptr && element_size > 0 && n > (end_ - pos_) / element_size)
    fail("corrupt ", format_.name, ": a length of ", n, " exceeds the data");
  return static_cast<std::size_t>(n);
}

std::string BinaryReader::string() {
  const auto n = count(1);
  std::string s;
  // Chunked like vector(), for the same reason.
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  while (s.size() < n) {
    const std::size_t done = s.size();
    const std::size_t step = std::min(kChunk, n - done);
    s.resize(done + step);
    bytes(s.data() + done, step);
  }
  return s;
}

Eigen::VectorXd BinaryReader::eigen(Eigen::Index expected) {
  const auto n = count(sizeof(double));
  if (static_cast<Eigen::Index>(n) != expected)
    fail("corrupt ", format_.name, ": a vector of ", n, " values where ", expected, " were expected");
  Eigen::VectorXd v(static_cast<Eigen::Index>(n));
  bytes(v.data(), n * sizeof(double));
  return v;
}

void BinaryReader::finish() {
  if (stream_ == nullptr) {
    if (pos_ != end_) fail("corrupt ", format_.name, ": ", end_ - pos_, " unread bytes");
    return;
  }
  const std::uint64_t expected = stream_hash_.digest();
  std::uint64_t stored = 0;
  stream_->read(reinterpret_cast<char*>(&stored), sizeof stored);
  if (static_cast<std::size_t>(stream_->gcount()) != sizeof stored)
    fail("truncated ", format_.name, " (the data ends inside the hash)");
  if (stored != expected) fail("corrupt ", format_.name, ": hash mismatch");
}

}  // namespace pib
