#pragma once
// Internal: the versioned binary format of saved replay buffers, and atomic file writing.
//
// Layout (little-endian, as written by this machine; a byte-order mark rejects other orders):
//   magic "PIBRPLY\0" (8 bytes), u32 format version, u32 byte-order mark 0x01020304, u32 kind
//   (1 = uniform, 2 = prioritized), then the kind's payload, then a u64 FNV-1a hash of every byte before it.
// Every read failure (end of data, bad magic, version, kind, hash, out-of-range value) throws
// pib::FileError naming the source (a file path, or the name given for a stream).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <istream>
#include <ostream>
#include <span>
#include <string>
#include <type_traits>

#include "common/error.hpp"

namespace pib::replay::detail {

inline constexpr char kMagic[8] = {'P', 'I', 'B', 'R', 'P', 'L', 'Y', '\0'};
inline constexpr std::uint32_t kFormatVersion = 1;
inline constexpr std::uint32_t kByteOrderMark = 0x01020304u;
enum class BufferKind : std::uint32_t { uniform = 1, prioritized = 2 };

const char* kind_name(BufferKind kind);

// Streams bytes out while hashing them.
class BinaryWriter {
 public:
  explicit BinaryWriter(std::ostream& out) : out_(out) {}
  void bytes(const void* data, std::size_t n);
  template <typename T>
  void value(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes(&v, sizeof(T));
  }
  template <typename T>
  void array(std::span<const T> values) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes(values.data(), values.size_bytes());
  }
  void header(BufferKind kind);
  // Writes the hash of everything written so far; throws FileError(source) if the stream failed.
  void finish(const std::string& source);

 private:
  std::ostream& out_;
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

// Reads bytes while hashing them; any short read throws FileError naming the source as truncated.
class BinaryReader {
 public:
  BinaryReader(std::istream& in, std::string source) : in_(in), source_(std::move(source)) {}
  void bytes(void* data, std::size_t n);
  template <typename T>
  T value() {
    static_assert(std::is_trivially_copyable_v<T>);
    T v;
    bytes(&v, sizeof(T));
    return v;
  }
  template <typename T>
  void array(std::span<T> values) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes(values.data(), values.size_bytes());
  }
  // Checks magic, version and byte order, and that the kind is `expected`.
  void header(BufferKind expected);
  // Reads the stored hash and compares it with the hash of everything read.
  void finish();
  // Throws FileError "<source>: <parts>".
  template <typename... Parts>
  [[noreturn]] void fail(Parts&&... parts) const {
    raise<FileError>(source_, ": ", std::forward<Parts>(parts)...);
  }
  const std::string& source() const { return source_; }

 private:
  std::istream& in_;
  std::string source_;
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

// Writes a file atomically: `write` fills a temporary file in the same directory, which is flushed,
// synced and renamed over `path`. On any failure the temporary file is removed and FileError is thrown.
void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write);

// Opens `path` for binary reading and passes it to `read`; FileError if it cannot be opened.
void read_file(const std::filesystem::path& path, const std::function<void(std::istream&)>& read);

}  // namespace pib::replay::detail
