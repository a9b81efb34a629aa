#pragma once
// Building blocks every unit uses for honest timing emulation and double-buffered parameters (DESIGN 3.5).
//
// DeviceClock: a device has a read channel (measure) and a programming channel (deploy). Holding a channel
// for `d` device microseconds blocks the calling thread for d / time_scale wall microseconds while other
// threads work (it sleeps; it does not spin). Short holds are accumulated and slept off in slices of at
// least `min_sleep_us` wall time, so a fast device emulated at a large time_scale costs no syscalls per call
// while the total wall time stays right. Concurrent holders of the same channel queue (mutex); the two
// channels are independent. Thread-safe: every member may be called from any thread.
//
// DeployedParameters<T>: the parameters the device last finished deploying, swapped in atomically; readers
// get a shared_ptr to an immutable snapshot and its version. Thread-safe.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

#include "units/unit.hpp"

namespace pib::units {

class DeviceClock {
 public:
  explicit DeviceClock(DeviceTiming timing, double min_sleep_us = 200.0);

  // Holds the read channel for `samples` x forward_us_per_sample device time.
  void hold_measure(Eigen::Index samples);
  // Holds the programming channel for `device_us` device time.
  void hold_deploy(double device_us);

  const DeviceTiming& timing() const { return timing_; }
  DeviceLedger ledger() const;

 private:
  struct Channel {
    std::mutex mutex;
    double owed_wall_us = 0.0;  // wall time held but not yet slept off (guarded by mutex)
  };
  void hold(Channel& channel, double device_us, bool is_measure);

  DeviceTiming timing_;
  double min_sleep_us_;
  std::chrono::steady_clock::time_point created_;
  Channel read_, program_;
  mutable std::mutex ledger_mutex_;
  DeviceLedger ledger_;  // guarded by ledger_mutex_ (idle_us filled in by ledger())
};

template <typename T>
class DeployedParameters {
 public:
  explicit DeployedParameters(T initial) : current_(std::make_shared<const T>(std::move(initial))) {}

  struct Snapshot {
    std::shared_ptr<const T> value;
    std::uint64_t version;
  };
  Snapshot load() const {
    std::lock_guard lock(mutex_);
    return {current_, version_};
  }
  void store(T value) {
    auto next = std::make_shared<const T>(std::move(value));
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
    ++version_;
  }
  std::uint64_t version() const {
    std::lock_guard lock(mutex_);
    return version_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> current_;
  std::uint64_t version_ = 0;
};

}  // namespace pib::units
