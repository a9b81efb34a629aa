#pragma once
// Internal: the replay buffers' record in pib's one binary format (common/binary_io.hpp).
//
// Layout: the common header (magic "PIBRPLY\0", u32 format version), u32 byte-order mark 0x01020304 (other
// byte orders are rejected), u32 kind (1 = uniform, 2 = prioritized), the kind's payload, and the common
// trailing u64 FNV-1a hash. A buffer is written to a stream or atomically to a file, and read from either;
// every read failure is a pib::FileError naming the source (a file path, or the name given for a stream).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <istream>
#include <ostream>
#include <string>

#include "common/binary_io.hpp"

namespace pib::replay::detail {

inline constexpr BinaryFormat kFormat{"PIBRPLY", 1, "replay buffer"};
inline constexpr std::uint32_t kByteOrderMark = 0x01020304u;
enum class BufferKind : std::uint32_t { uniform = 1, prioritized = 2 };

const char* kind_name(BufferKind kind);

// A replay record bound for `out`: the common writer plus the replay header and the stream it goes to.
class BinaryWriter : public pib::BinaryWriter {
 public:
  explicit BinaryWriter(std::ostream& out) : pib::BinaryWriter(kFormat), out_(out) {}
  // Writes the byte-order mark and the kind.
  void header(BufferKind kind);
  // Writes the record with its hash to the stream; FileError naming `source` if the stream failed.
  void finish(const std::string& source);

 private:
  std::ostream& out_;
};

// Reads a replay record from a stream (the common header is checked on construction).
class BinaryReader : public pib::BinaryReader {
 public:
  BinaryReader(std::istream& in, std::string source) : pib::BinaryReader(kFormat, in, std::move(source)) {}
  // Checks the byte order, and that the kind is `expected`.
  void header(BufferKind expected);
};

// Writes what `write` puts into a stream to `path` with pib::write_file_atomically.
void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write);

// Opens `path` for binary reading and passes it to `read`; FileError if it cannot be opened.
void read_file(const std::filesystem::path& path, const std::function<void(std::istream&)>& read);

}  // namespace pib::replay::detail
