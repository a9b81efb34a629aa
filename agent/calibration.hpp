#pragma once
// Device calibration of a Q-network before training (DESIGN.md 4.3): the learner's devices and every
// distributed actor's clones are calibrated the same way, so they start as the same chips.

#include "agent/config.hpp"
#include "agent/network.hpp"
#include "agent/observation.hpp"

namespace pib::agent {

// Calibrates every device of `net` on 1,024 states of random-policy episodes of a separate environment
// instance, seeded from the run's seed (the same for a fresh run, its resumption and every actor). Returns
// sigma_x: pib.x_width on a batch-sized sample of the scaled states (1 when that is not positive and finite).
double calibrate_network(const RlConfig& cfg, const ObservationScale& scale, QNetwork& net);

}  // namespace pib::agent
