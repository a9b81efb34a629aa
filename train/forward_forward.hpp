#pragma once
// Physical local learning's local objective (train/forward_forward.cpp, the comparison method "phyll"),
// internal to train/.

#include "train/readout.hpp"

namespace pib::train {

// The forward-forward loss of one pass: mean over rows of softplus(sign (G - theta)), G = mean_j z_j^2 (the
// goodness); sign -1 for a positive pass (G pushed above theta), +1 for a negative one. Writes dL/dZ into dz.
double goodness_loss(const Matrix& z, double theta, double sign, Matrix& dz);

}  // namespace pib::train
