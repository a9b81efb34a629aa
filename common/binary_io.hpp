#pragma once
// pib's one binary file format and its one atomic file write.
//
// A record is: the format's magic (8 bytes, the name NUL-padded), a u32 format version, the payload written
// field by field (native byte order; scalars, strings and vectors as a u64 length then the elements), and a
// u64 FNV-1a hash of every byte before it. BinaryWriter builds a record in memory and commits it with
// write_file_atomically; BinaryReader reads one from a file (whole, the hash checked before any field is
// read) or from a stream (field by field, the hash checked by finish()). Every read failure — a missing
// file, wrong magic, another version, truncation, a hash mismatch, a length beyond the data — is a
// pib::FileError naming the source and what was wrong.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "common/error.hpp"
#include "common/random.hpp"

namespace pib {

// Writes `bytes` to `path` so that a reader sees either the old file or the whole new one, even after a
// crash: a temporary file in the same directory is written, fsync'ed and renamed over `path`, then the
// directory is fsync'ed. Throws FileError naming `path` on any failure; a failure before the rename removes
// the temporary file and leaves an existing file at `path` as it was (only a failed fsync of the directory
// comes after the new file is in place).
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// The whole content of a file; FileError naming it if it cannot be opened or read.
std::string read_file_bytes(const std::filesystem::path& path);

// Incremental 64-bit FNV-1a (Fowler–Noll–Vo, the FNV-1a variant with the published offset basis and prime).
class Fnv1a64 {
 public:
  static constexpr std::uint64_t kOffsetBasis = 0xcbf29ce484222325ULL;
  static constexpr std::uint64_t kPrime = 0x100000001b3ULL;

  void update(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i)
      hash_ = (hash_ ^ p[i]) * kPrime;
  }
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  std::uint64_t digest() const { return hash_; }

 private:
  std::uint64_t hash_ = kOffsetBasis;
};

// What identifies a kind of record. `magic` has at most 8 characters; `name` ("checkpoint", "replay
// buffer") is used in error messages.
struct BinaryFormat {
  std::string_view magic;
  std::uint32_t version;
  std::string_view name;
};

// Builds one record in memory. Scalars only: a struct's padding bytes would make equal states write
// different files, so structs are written field by field.
class BinaryWriter {
 public:
  // Writes the header (magic and version).
  explicit BinaryWriter(const BinaryFormat& format);

  void bytes(const void* data, std::size_t n) {
    PIB_EXPECTS(!finished_, "BinaryWriter used after finish()");
    buffer_.append(static_cast<const char*>(data), n);
  }
  template <typename T>
  void value(const T& v) {
    static_assert(std::is_arithmetic_v<T>, "write structs field by field");
    bytes(&v, sizeof(T));
  }
  // The elements only, no length: the reader knows how many.
  template <typename T>
  void array(std::span<const T> values) {
    static_assert(std::is_arithmetic_v<T>, "write structs field by field");
    bytes(values.data(), values.size_bytes());
  }
  template <typename T>
  void vector(const std::vector<T>& v) {
    value(static_cast<std::uint64_t>(v.size()));
    array(std::span<const T>(v));
  }
  template <typename T>
  void optional(const std::optional<T>& v) {
    value(v.has_value());
    value(v.value_or(T{}));
  }
  void string(std::string_view s) {
    value(static_cast<std::uint64_t>(s.size()));
    bytes(s.data(), s.size());
  }
  void eigen(const Eigen::VectorXd& v) {
    value(static_cast<std::uint64_t>(v.size()));
    bytes(v.data(), static_cast<std::size_t>(v.size()) * sizeof(double));
  }
  void rng_state(const Rng::State& s) {
    for (const auto word : s.words)
      value(word);
    value(s.spare);
    value(s.has_spare);
  }
  void rng(const Rng& r) { rng_state(r.state()); }

  // The record: everything written, then its hash. The writer cannot be used afterwards.
  std::string finish();
  // finish(), then write_file_atomically(file, ...).
  void commit(const std::filesystem::path& file);

 private:
  std::string buffer_;
  bool finished_ = false;
};

// Reads one record, checking its header on construction. Reads past the end of the payload fail as
// truncation; finish() requires that every payload byte was read and, for a stream, checks the hash.
class BinaryReader {
 public:
  // Reads the whole file and checks magic, version and hash before any field is read.
  BinaryReader(const BinaryFormat& format, const std::filesystem::path& file);
  // Reads the record at the stream's position, leaving the stream just after it once finish() has run
  // (other data may follow). `source` names the stream in errors.
  BinaryReader(const BinaryFormat& format, std::istream& in, std::string source);

  void bytes(void* out, std::size_t n);
  template <typename T>
  T value() {
    static_assert(std::is_arithmetic_v<T>, "read structs field by field");
    if constexpr (std::is_same_v<T, bool>) {
      const auto flag = value<std::uint8_t>();
      if (flag > 1) fail("a flag byte holds ", static_cast<int>(flag));
      return flag == 1;
    } else {
      T v;
      bytes(&v, sizeof(T));
      return v;
    }
  }
  template <typename T>
  void array(std::span<T> values) {
    static_assert(std::is_arithmetic_v<T>, "read structs field by field");
    bytes(values.data(), values.size_bytes());
  }
  template <typename T>
  std::vector<T> vector() {
    static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>, "read structs field by field");
    const auto n = count(sizeof(T));
    // Grown chunk by chunk, so that a corrupt length in a stream fails as truncation before it allocates.
    constexpr std::size_t kChunk = (std::size_t{1} << 20) / sizeof(T);
    std::vector<T> v;
    while (v.size() < n) {
      const std::size_t done = v.size();
      const std::size_t step = std::min(kChunk, n - done);
      v.resize(done + step);
      bytes(v.data() + done, step * sizeof(T));
    }
    return v;
  }
  template <typename T>
  std::optional<T> optional() {
    const bool has = value<bool>();
    const T v = value<T>();
    return has ? std::optional<T>(v) : std::nullopt;
  }
  std::string string();
  // A vector of exactly `expected` doubles (a parameter vector of a known size).
  Eigen::VectorXd eigen(Eigen::Index expected);
  Rng::State rng_state() {
    Rng::State s{};
    for (auto& word : s.words)
      word = value<std::uint64_t>();
    s.spare = value<double>();
    s.has_spare = value<bool>();
    return s;
  }
  void rng(Rng& r) { r.set_state(rng_state()); }

  // Requires that every payload byte was read; for a stream, reads the stored hash and compares it.
  void finish();
  const std::string& source() const { return source_; }
  const BinaryFormat& format() const { return format_; }
  // Throws FileError "<source>: <parts>".
  template <typename... Parts>
  [[noreturn]] void fail(Parts&&... parts) const {
    raise<FileError>(source_, ": ", std::forward<Parts>(parts)...);
  }

 private:
  void check_magic(std::string_view got) const;
  void check_version();
  // A u64 element count; in a file, one that cannot fit in the remaining payload fails.
  std::size_t count(std::size_t element_size);

  BinaryFormat format_;
  std::string source_;
  std::istream* stream_ = nullptr;  // stream mode; else the file's bytes are in data_
  Fnv1a64 stream_hash_;             // stream mode: hash of every byte read so far
  std::string data_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;  // file mode: payload end (before the hash)
};

}  // namespace pib
