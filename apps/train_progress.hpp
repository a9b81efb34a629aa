#pragma once
// The progress line of `pib train` and `pib compare` (one train::Progress report).

#include <sstream>
#include <string>

#include "train/trainer.hpp"

namespace pib::apps {

inline std::string format_progress(const train::Progress& p) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(3);
  s << p.stage;
  if (p.unit >= 0 && p.stage.find("rank") == std::string::npos) s << " unit " << p.unit;
  s << (p.stage == "ssl" ? " iteration " : " epoch ") << p.epoch << "/" << p.epochs;
  if (p.steps > 0) s << " step " << p.step << "/" << p.steps;
  if (p.i_xz != 0 || p.i_yz != 0)
    s << "  I(X;Z) " << p.i_xz << "  " << (p.stage == "ssl" ? "I(Z1;Z2) " : "I(Y;Z) ") << p.i_yz;
  if (p.accuracy) s << "  accuracy " << *p.accuracy;
  s.precision(0);
  s << "  elapsed " << p.elapsed_s << " s";
  return s.str();
}

}  // namespace pib::apps
