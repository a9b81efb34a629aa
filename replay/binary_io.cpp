#include "replay/binary_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <system_error>

namespace pib::replay::detail {

namespace {
constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;

std::uint64_t fnv1a(std::uint64_t hash, const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i)
    hash = (hash ^ p[i]) * kFnvPrime;
  return hash;
}
}  // namespace

const char* kind_name(BufferKind kind) {
  switch (kind) {
    case BufferKind::uniform:
      return "uniform";
    case BufferKind::prioritized:
      return "prioritized";
  }
  return "unknown";
}

void BinaryWriter::bytes(const void* data, std::size_t n) {
  if (n == 0) return;
  hash_ = fnv1a(hash_, data, n);
  out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
}

void BinaryWriter::header(BufferKind kind) {
  bytes(kMagic, sizeof kMagic);
  value(kFormatVersion);
  value(kByteOrderMark);
  value(static_cast<std::uint32_t>(kind));
}

void BinaryWriter::finish(const std::string& source) {
  const std::uint64_t hash = hash_;
  out_.write(reinterpret_cast<const char*>(&hash), sizeof hash);
  out_.flush();
  if (!out_) raise<FileError>(source, ": writing the replay buffer failed");
}

void BinaryReader::bytes(void* data, std::size_t n) {
  if (n == 0) return;
  in_.read(static_cast<char*>(data), static_cast<std::streamsize>(n));
  if (static_cast<std::size_t>(in_.gcount()) != n)
    fail("truncated replay buffer (the data ends before the ", n, "-byte field being read)");
  hash_ = fnv1a(hash_, data, n);
}

void BinaryReader::header(BufferKind expected) {
  char magic[sizeof kMagic];
  in_.read(magic, sizeof magic);
  const auto got = static_cast<std::size_t>(in_.gcount());
  if (got != sizeof magic) {
    if (got > 0 && std::memcmp(magic, kMagic, got) != 0) fail("not a pib replay buffer (wrong magic header)");
    fail("truncated replay buffer (", got, " bytes, shorter than the header)");
  }
  if (std::memcmp(magic, kMagic, sizeof magic) != 0) fail("not a pib replay buffer (wrong magic header)");
  hash_ = fnv1a(hash_, magic, sizeof magic);
  const auto version = value<std::uint32_t>();
  if (version != kFormatVersion)
    fail("replay buffer format version ", version, ", this build reads version ", kFormatVersion);
  if (value<std::uint32_t>() != kByteOrderMark) fail("replay buffer written with a different byte order");
  const auto kind = value<std::uint32_t>();
  if (kind != static_cast<std::uint32_t>(BufferKind::uniform) &&
      kind != static_cast<std::uint32_t>(BufferKind::prioritized))
    fail("unknown replay buffer kind ", kind);
  if (kind != static_cast<std::uint32_t>(expected))
    fail("holds a ", kind_name(static_cast<BufferKind>(kind)), " replay buffer, not a ", kind_name(expected),
         " one");
}

void BinaryReader::finish() {
  const std::uint64_t expected = hash_;
  std::uint64_t stored = 0;
  in_.read(reinterpret_cast<char*>(&stored), sizeof stored);
  if (static_cast<std::size_t>(in_.gcount()) != sizeof stored) fail("truncated replay buffer (no checksum)");
  if (stored != expected) fail("replay buffer is corrupt (checksum mismatch)");
}

void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write) {
  static std::atomic<unsigned> counter{0};
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
  const std::string name = path.string();
  try {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) raise<FileError>(name, ": cannot create the temporary file ", tmp.string());
      write(out);
      out.flush();
      if (!out) raise<FileError>(name, ": writing ", tmp.string(), " failed");
      out.close();
      if (!out) raise<FileError>(name, ": closing ", tmp.string(), " failed");
    }
    // Make the content durable before the rename makes it visible under the final name.
    const int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) raise<FileError>(name, ": cannot reopen ", tmp.string(), " to sync it");
    const int synced = ::fsync(fd);
    ::close(fd);
    if (synced != 0) raise<FileError>(name, ": fsync of ", tmp.string(), " failed");
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) raise<FileError>(name, ": renaming the temporary file into place failed: ", ec.message());
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw;
  }
}

void read_file(const std::filesystem::path& path, const std::function<void(std::istream&)>& read) {
  std::ifstream in(path, std::ios::binary);
  if (!in) raise<FileError>(path.string(), ": cannot open the replay buffer file for reading");
  read(in);
}

}  // namespace pib::replay::detail
