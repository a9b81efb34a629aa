#pragma once
// The two kinds of failure (STYLE.md practice 5).
//
// * Bad input from a user or a file: a typed exception derived from pib::Error whose message a user can act
//   on (it names the key, the file, the value and what was expected).
// * A broken internal invariant: PIB_EXPECTS(condition, message...), which throws pib::PreconditionError
//   with the condition, the location and the formatted message. Library code never aborts or prints.

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace pib {

// Base of every error pib throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An argument or a configuration value is out of its documented range, or has the wrong shape.
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

// A configuration (JSON) is malformed, has an unknown key or a value of the wrong type.
class ConfigError : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

// A file is missing, unreadable, truncated or not of the expected format.
class FileError : public Error {
 public:
  using Error::Error;
};

// An operation was called in a state that does not allow it (step before reset, sampling an empty buffer).
class StateError : public Error {
 public:
  using Error::Error;
};

// A documented precondition of an internal call was broken: a bug in the caller.
class PreconditionError : public Error {
 public:
  using Error::Error;
};

namespace detail {
// Streams every argument into one string: str_cat("n = ", n, ", d = ", d).
template <typename... Args>
std::string str_cat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}
}  // namespace detail

// Throws an error of type E whose message is the concatenation of the arguments.
template <typename E = Error, typename... Args>
[[noreturn]] void raise(Args&&... args) {
  throw E(detail::str_cat(std::forward<Args>(args)...));
}

}  // namespace pib

// PIB_EXPECTS(cond, parts...): precondition check that stays on in release builds (the checks guard O(1)
// conditions at API boundaries, never inner loops).
#define PIB_EXPECTS(cond, ...)                                                                      \
  do {                                                                                              \
    if (!(cond)) [[unlikely]]                                                                       \
      ::pib::raise<::pib::PreconditionError>("precondition failed: " #cond " at ", __FILE__, ":", \
                                             __LINE__, ": " __VA_OPT__(, ) __VA_ARGS__);            \
  } while (false)
