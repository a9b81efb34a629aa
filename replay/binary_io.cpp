#include "replay/binary_io.hpp"

#include <fstream>
#include <sstream>

namespace pib::replay::detail {

const char* kind_name(BufferKind kind) {
  switch (kind) {
    case BufferKind::uniform:
      return "uniform";
    case BufferKind::prioritized:
      return "prioritized";
  }
  return "unknown";
}

void BinaryWriter::header(BufferKind kind) {
  value(kByteOrderMark);
  value(static_cast<std::uint32_t>(kind));
}

void BinaryWriter::finish(const std::string& source) {
  const std::string record = pib::BinaryWriter::finish();
  out_.write(record.data(), static_cast<std::streamsize>(record.size()));
  out_.flush();
  if (!out_) raise<FileError>(source, ": writing the replay buffer failed");
}

void BinaryReader::header(BufferKind expected) {
  if (value<std::uint32_t>() != kByteOrderMark) fail("replay buffer written with a different byte order");
  const auto kind = value<std::uint32_t>();
  if (kind != static_cast<std::uint32_t>(BufferKind::uniform) &&
      kind != static_cast<std::uint32_t>(BufferKind::prioritized))
    fail("unknown replay buffer kind ", kind);
  if (kind != static_cast<std::uint32_t>(expected))
    fail("holds a ", kind_name(static_cast<BufferKind>(kind)), " replay buffer, not a ", kind_name(expected),
         " one");
}

void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write) {
  std::ostringstream out;
  write(out);
  pib::write_file_atomically(path, std::move(out).str());
}

void read_file(const std::filesystem::path& path, const std::function<void(std::istream&)>& read) {
  std::ifstream in(path, std::ios::binary);
  if (!in) raise<FileError>(path.string(), ": cannot open the replay buffer file for reading");
  read(in);
}

}  // namespace pib::replay::detail
