#pragma once
// Ctrl-C during a long run: the first SIGINT asks the trainer to stop between two steps (it writes its
// checkpoint and returns); the command then ends with Interrupted, exit code 130. A second SIGINT has the
// default effect (the process ends at once).

#include <csignal>

#include <atomic>

#include "agent/trainer.hpp"
#include "common/error.hpp"

namespace pib::apps {

// A run that stopped on Ctrl-C after saving its state; main() exits with 130 (128 + SIGINT).
class Interrupted : public Error {
 public:
  using Error::Error;
};

class StopOnInterrupt {
 public:
  explicit StopOnInterrupt(agent::Trainer& trainer) {
    trainer_().store(&trainer);
    struct sigaction sa {};
    sa.sa_handler = &StopOnInterrupt::handle;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;  // the second Ctrl-C is the default: end the process
    sigaction(SIGINT, &sa, &previous_);
  }
  ~StopOnInterrupt() {
    sigaction(SIGINT, &previous_, nullptr);
    trainer_().store(nullptr);
  }
  StopOnInterrupt(const StopOnInterrupt&) = delete;
  StopOnInterrupt& operator=(const StopOnInterrupt&) = delete;

 private:
  static std::atomic<agent::Trainer*>& trainer_() {
    static std::atomic<agent::Trainer*> t{nullptr};
    return t;
  }
  static void handle(int) {
    if (auto* t = trainer_().load()) t->request_stop();  // one lock-free atomic store
  }
  struct sigaction previous_ {};
};

}  // namespace pib::apps
