#pragma once
// The information-theoretic core of pib in one include: kernels and widths, Renyi entropies and mutual
// information with their gradients, and the local PIB objectives (DESIGN.md section 2).

#include "bottleneck/entropy.hpp"
#include "bottleneck/features.hpp"
#include "bottleneck/kernel.hpp"
#include "bottleneck/objectives.hpp"
