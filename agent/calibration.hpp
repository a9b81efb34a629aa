#pragma once
// Calibration of a run before training (DESIGN.md 4.3): the random-policy states every part calibrates on, the
// observation scale when the config gives none, and the devices. The learner's devices and every distributed
// actor's clones are calibrated the same way, so they start as the same chips.

#include "agent/config.hpp"
#include "agent/network.hpp"
#include "agent/observation.hpp"

namespace pib::agent {

// 1,024 raw observations of random-policy episodes of a separate environment instance, seeded from the run's
// seed (the same for a fresh run, its resumption and every actor), and the calibration stream after the
// policy's draws (the devices' calibration continues it).
struct CalibrationStates {
  Matrix raw;
  Rng rng;
};
CalibrationStates calibration_states(const RlConfig& cfg);

// Calibrates every device of `net` on the scaled states. Returns sigma_x: pib.x_width on a batch-sized sample
// of the scaled states (1 when that is not positive and finite).
double calibrate_network(const RlConfig& cfg, const CalibrationStates& states, const ObservationScale& scale,
                         QNetwork& net);

}  // namespace pib::agent
