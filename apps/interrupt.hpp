#pragma once
// A run that stopped on Ctrl-C after saving its state (agent::StopOnInterrupt): main() prints the message and
// exits with 130 (128 + SIGINT).

#include "common/error.hpp"

namespace pib::apps {

class Interrupted : public Error {
 public:
  using Error::Error;
};

}  // namespace pib::apps
