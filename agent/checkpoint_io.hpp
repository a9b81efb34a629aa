#pragma once
// The checkpoint file: a pib binary record (common/binary_io.hpp: magic "PIBCKPT", a version, the fields,
// a hash), written atomically. Every read failure (missing file, truncation, foreign magic, other version,
// hash mismatch) is a pib::FileError naming the file.
//
// The trainer's state is written and read by one field list: each part has a `serialize(Archive&)` that
// calls `a(field)` for every field in order, and is run with a SaveArchive to write and a LoadArchive to
// read, so the two directions cannot drift apart. `Archive::loading` tells a part to rebuild what follows
// from a field (re-program a device, restore an environment) after reading it.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "common/binary_io.hpp"
#include "common/random.hpp"
#include "replay/transition.hpp"

namespace pib::agent {

inline constexpr BinaryFormat kCheckpointFormat{"PIBCKPT", 3, "checkpoint"};

class SaveArchive {
 public:
  static constexpr bool loading = false;
  SaveArchive() : w_(kCheckpointFormat) {}

  template <typename T>
  requires std::is_arithmetic_v<T>
  void operator()(T& v) { w_.value(v); }
  template <typename T>
  void operator()(std::atomic<T>& v) {
    w_.value(v.load());
  }
  template <typename T>
  void operator()(std::vector<T>& v) {
    w_.vector(v);
  }
  template <typename T>
  void operator()(std::optional<T>& v) {
    w_.optional(v);
  }
  void operator()(std::string& s) { w_.string(s); }
  // A parameter vector of a known size.
  void operator()(Eigen::VectorXd& v, Eigen::Index expected) {
    PIB_EXPECTS(v.size() == expected, "a parameter vector of ", v.size(), " values, expected ", expected);
    w_.eigen(v);
  }
  void operator()(Rng::State& s) { w_.rng_state(s); }
  void operator()(Rng& r) { w_.rng(r); }
  // Field by field: the struct's padding bytes would make equal states write different checkpoints.
  void operator()(replay::Transition& t);
  // Saving needs no checks: what is written was valid when the run held it.
  template <typename... Parts>
  void check(bool, Parts&&...) const {}

  // Appends the hash and writes the file atomically.
  void commit(const std::filesystem::path& file) { w_.commit(file); }

 private:
  BinaryWriter w_;
};

class LoadArchive {
 public:
  static constexpr bool loading = true;
  // Reads the whole file and checks its header and hash.
  explicit LoadArchive(const std::filesystem::path& file) : r_(kCheckpointFormat, file) {}

  template <typename T>
  requires std::is_arithmetic_v<T>
  void operator()(T& v) { v = r_.value<T>(); }
  template <typename T>
  void operator()(std::atomic<T>& v) {
    v.store(r_.value<T>());
  }
  template <typename T>
  void operator()(std::vector<T>& v) {
    v = r_.vector<T>();
  }
  template <typename T>
  void operator()(std::optional<T>& v) {
    v = r_.optional<T>();
  }
  void operator()(std::string& s) { s = r_.string(); }
  void operator()(Eigen::VectorXd& v, Eigen::Index expected) { v = r_.eigen(expected); }
  void operator()(Rng::State& s) { s = r_.rng_state(); }
  void operator()(Rng& r) { r_.rng(r); }
  void operator()(replay::Transition& t);
  // A value read that the run cannot hold fails as a corrupt checkpoint.
  template <typename... Parts>
  void check(bool ok, Parts&&... parts) const {
    if (!ok) fail(std::forward<Parts>(parts)...);
  }
  template <typename... Parts>
  [[noreturn]] void fail(Parts&&... parts) const {
    r_.fail("corrupt checkpoint: ", std::forward<Parts>(parts)...);
  }
  // Requires that every byte was read.
  void finish() { r_.finish(); }
  const std::string& source() const { return r_.source(); }

 private:
  BinaryReader r_;
};

}  // namespace pib::agent
