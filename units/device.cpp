#include "units/device.hpp"

#include <algorithm>
#include <thread>

#include "common/config.hpp"

namespace pib::units {

DeviceClock::DeviceClock(DeviceTiming timing, double min_sleep_us)
    : timing_(timing), min_sleep_us_(min_sleep_us), created_(std::chrono::steady_clock::now()) {
  require_config(timing.forward_us_per_sample >= 0.0, "forward_us_per_sample", timing.forward_us_per_sample,
                 ">= 0");
  require_config(timing.deploy_us >= 0.0, "deploy_us", timing.deploy_us, ">= 0");
  require_config(timing.time_scale > 0.0, "time_scale", timing.time_scale, "> 0");
}

void DeviceClock::hold_measure(Eigen::Index samples) {
  hold(read_, static_cast<double>(samples) * timing_.forward_us_per_sample, true);
}

void DeviceClock::hold_deploy(double device_us) {
  hold(program_, device_us, false);
}

void DeviceClock::hold(Channel& channel, double device_us, bool is_measure) {
  std::lock_guard channel_lock(channel.mutex);
  channel.owed_wall_us += device_us / timing_.time_scale;
  if (channel.owed_wall_us >= min_sleep_us_) {
    const auto start = std::chrono::steady_clock::now();
    std::this_thread::sleep_until(start + std::chrono::duration<double, std::micro>(channel.owed_wall_us));
    const double slept =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    channel.owed_wall_us = std::max(-min_sleep_us_, channel.owed_wall_us - slept);  // oversleep is credited
  }
  std::lock_guard ledger_lock(ledger_mutex_);
  if (is_measure) {
    ledger_.measure_us += device_us;
    ++ledger_.measures;
  } else {
    ledger_.deploy_us += device_us;
    ++ledger_.deploys;
  }
}

DeviceLedger DeviceClock::ledger() const {
  const double elapsed_wall_us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - created_).count();
  std::lock_guard lock(ledger_mutex_);
  DeviceLedger out = ledger_;
  out.busy_us = out.measure_us + out.deploy_us;
  out.idle_us = std::max(0.0, elapsed_wall_us * timing_.time_scale - out.busy_us);
  return out;
}

}  // namespace pib::units
