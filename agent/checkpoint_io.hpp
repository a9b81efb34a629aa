#pragma once
// The checkpoint file format: magic "PIBCKPT\0", u32 version, then the trainer's fields in order, then a
// u64 FNV-1a hash of every byte before it. Written to a temporary file in the same directory, flushed,
// fsync'ed and renamed, so a crash never leaves a broken checkpoint under the final name. Every read
// failure (missing file, truncation, foreign magic, other version, hash mismatch) is a pib::FileError
// naming the file.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "common/error.hpp"
#include "common/random.hpp"

namespace pib::agent {

inline constexpr std::uint32_t kCheckpointVersion = 2;

class CheckpointWriter {
 public:
  CheckpointWriter();
  void bytes(const void* data, std::size_t n) { buffer_.append(static_cast<const char*>(data), n); }
  // Scalars only: a struct's padding bytes would make equal states write different files.
  template <typename T>
  void value(const T& v) {
    static_assert(std::is_arithmetic_v<T>, "write structs field by field");
    bytes(&v, sizeof(T));
  }
  template <typename T>
  void vector(const std::vector<T>& v) {
    value(static_cast<std::uint64_t>(v.size()));
    bytes(v.data(), v.size() * sizeof(T));
  }
  template <typename T>
  void optional(const std::optional<T>& v) {
    value(v.has_value());
    value(v.value_or(T{}));
  }
  void string(const std::string& s) {
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
  // Appends the hash and writes the file atomically.
  void commit(const std::filesystem::path& file);

 private:
  std::string buffer_;
};

class CheckpointReader {
 public:
  explicit CheckpointReader(const std::filesystem::path& file);
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
  std::vector<T> vector() {
    const auto n = count(sizeof(T));
    std::vector<T> v(n);
    bytes(v.data(), n * sizeof(T));
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
  // Requires that every byte was read.
  void finish() const;
  const std::string& source() const { return source_; }
  template <typename... Parts>
  [[noreturn]] void fail(Parts&&... parts) const {
    raise<FileError>(source_, ": corrupt checkpoint: ", std::forward<Parts>(parts)...);
  }

 private:
  std::size_t count(std::size_t element_size);
  std::string source_;
  std::string data_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;  // payload end (before the hash)
};

}  // namespace pib::agent
