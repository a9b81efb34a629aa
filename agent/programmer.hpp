#pragma once
// A device's programming channel as a thread of its own (DESIGN.md 3.5, 4.3).
//
// A deploy holds its device for the programming time, and the emulation spends that time asleep. Run as a
// oneTBB task it would occupy one of the arena's workers the whole time (on a 2-core machine the arena has
// one worker, so the units' deploys would queue behind each other and behind the unit updates); a real
// device programs on its own. So each unit's deploys run on that unit's programmer thread: at most one job
// in flight, `start` waits for the previous job first, `wait` returns once the channel is idle and rethrows
// what a job threw.
//
// Thread-safety: start and wait are called by one owner thread (the learner); the job runs on the
// programmer's thread.

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace pib::agent {

class DeviceProgrammer {
 public:
  DeviceProgrammer() = default;
  ~DeviceProgrammer();
  DeviceProgrammer(const DeviceProgrammer&) = delete;
  DeviceProgrammer& operator=(const DeviceProgrammer&) = delete;

  // Waits for the job in flight, then hands `job` to the programming thread (started on first use).
  void start(std::function<void()> job);
  // Blocks until no job is in flight; rethrows the exception of a job that failed.
  void wait();

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::function<void()> job_;  // guarded by mutex_; empty when idle
  std::exception_ptr error_;   // guarded by mutex_
  bool stopping_ = false;      // guarded by mutex_
  std::thread thread_;
};

}  // namespace pib::agent
