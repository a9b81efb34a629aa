#pragma once
// Fitted twins: a model of a unit whose physics is hidden (a kind without an ideal model,
// units/registry.hpp), fitted from measured (input, raw response) pairs only, for the training methods that
// need a differentiable model of every unit (backprop in silico, train/backprop.cpp). A kind offers one
// through its record's TwinKind; the optical kind's is the square-law model of units/optical_twin.cpp.
//
// The settings are the config key "twin" of `pib train` / `pib compare`:
//   {"samples": 8000, "epochs": 40, "batch_size": 256, "optimizer": {"lr": 0.003, "lr_final": 0.0003}}
// samples is the measurement budget: that many inputs are measured on the device (in calls of at most 1,000),
// a tenth of them held out to score the fit.

#include <functional>
#include <string>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "common/adam.hpp"
#include "common/random.hpp"
#include "units/ideal.hpp"
#include "units/unit.hpp"

namespace pib::units {

struct TwinSettings {
  Eigen::Index samples = 8000;
  int epochs = 40;
  int batch_size = 256;
  AdamConfig optimizer{.lr = 3e-3, .lr_final = 3e-4};

  // ConfigError naming the key (under `path`) for unknown keys and values out of range.
  static TwinSettings from_json(const nlohmann::json& json, const std::string& path);
  nlohmann::json to_json() const;
};

// A fitted twin: the unit's raw response predicted from its input, and the ideal model of the unit's
// trainable part, which acts on the raw response (so Z = layer(response(x)) is the whole unit in silico).
struct FittedTwin {
  std::function<void(const Eigen::Ref<const Matrix>& input, Matrix& response)> response;
  IdealLayer layer;
  nlohmann::json report;  // samples and calls measured, the fit's held-out R^2 and mean squared error
};

struct TwinKind {
  // The fewest samples that determine the twin of a unit config (with "kind"): its unknowns per response
  // channel.
  std::function<Eigen::Index(const nlohmann::json& config)> min_samples;
  // Measures settings.samples inputs on `unit` and fits its twin. The inputs are drawn from `pool` (rows of
  // inputs as the unit receives them) feature by feature — each feature of a sample from a random row — so a
  // small pool still gives distinct samples with the pool's marginals. Noise and sampling from `rng`.
  // ConfigError naming `key`.samples when settings.samples < min_samples.
  std::function<FittedTwin(Unit& unit, const Eigen::Ref<const Matrix>& pool, const TwinSettings& settings,
                           const std::string& key, Rng& rng)>
      fit;
  explicit operator bool() const { return static_cast<bool>(fit); }
};

}  // namespace pib::units
