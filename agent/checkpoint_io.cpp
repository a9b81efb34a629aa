#include "agent/checkpoint_io.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

namespace pib::agent {
namespace {

constexpr char kMagic[8] = {'P', 'I', 'B', 'C', 'K', 'P', 'T', '\0'};

std::uint64_t fnv1a(const char* data, std::size_t n) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

CheckpointWriter::CheckpointWriter() {
  bytes(kMagic, sizeof kMagic);
  value(kCheckpointVersion);
}

void CheckpointWriter::commit(const std::filesystem::path& file) {
  const std::uint64_t hash = fnv1a(buffer_.data(), buffer_.size());
  std::string data = buffer_;
  data.append(reinterpret_cast<const char*>(&hash), sizeof hash);
  const auto tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) raise<FileError>(tmp, ": cannot open for writing");
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) raise<FileError>(tmp, ": write failed (disk full?)");
  }
  if (const int fd = ::open(tmp.c_str(), O_RDONLY); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec)
    raise<FileError>(file.string(), ": cannot rename the temporary checkpoint into place: ", ec.message());
}

CheckpointReader::CheckpointReader(const std::filesystem::path& file) : source_(file.string()) {
  std::ifstream in(file, std::ios::binary);
  if (!in) raise<FileError>(source_, ": cannot open checkpoint (missing or unreadable)");
  std::ostringstream ss;
  ss << in.rdbuf();
  data_ = ss.str();
  if (data_.size() < sizeof kMagic + sizeof(std::uint32_t) + sizeof(std::uint64_t))
    fail("file is truncated (", data_.size(), " bytes)");
  if (std::memcmp(data_.data(), kMagic, sizeof kMagic) != 0) fail("not a pib checkpoint (wrong magic)");
  end_ = data_.size() - sizeof(std::uint64_t);
  std::uint64_t stored;
  std::memcpy(&stored, data_.data() + end_, sizeof stored);
  pos_ = sizeof kMagic;
  const auto version = value<std::uint32_t>();
  if (version != kCheckpointVersion)
    fail("format version ", version, ", this pib reads ", kCheckpointVersion);
  if (stored != fnv1a(data_.data(), end_)) fail("hash mismatch (truncated or modified file)");
}

void CheckpointReader::bytes(void* out, std::size_t n) {
  if (n > end_ - pos_) fail("unexpected end of data");
  std::memcpy(out, data_.data() + pos_, n);
  pos_ += n;
}

std::size_t CheckpointReader::count(std::size_t element_size) {
  const auto n = value<std::uint64_t>();
  if (element_size > 0 && n > (end_ - pos_) / element_size) fail("a length of ", n, " exceeds the file");
  return static_cast<std::size_t>(n);
}

std::string CheckpointReader::string() {
  const auto n = count(1);
  std::string s(n, '\0');
  bytes(s.data(), n);
  return s;
}

Eigen::VectorXd CheckpointReader::eigen(Eigen::Index expected) {
  const auto n = count(sizeof(double));
  if (static_cast<Eigen::Index>(n) != expected)
    fail("a parameter vector of ", n, " values where the network has ", expected,
         " (the checkpoint belongs to another network)");
  Eigen::VectorXd v(static_cast<Eigen::Index>(n));
  bytes(v.data(), n * sizeof(double));
  return v;
}

void CheckpointReader::finish() const {
  if (pos_ != end_) fail(end_ - pos_, " unread bytes");
}

}  // namespace pib::agent
