#pragma once
// DeepPnn: a cascade of physical units, each with an optional local head (DESIGN.md 3.6). Its forward pass is
// a sequence of measurements: unit l measures the previous unit's measured output. Each unit's update needs
// only its own Measurement (response X, output Z) — no gradient flows between units here; training schedules
// (cascade, parallel, backprop in silico) live with the training code.
//
// Built from a JSON array of unit configs (see units/registry.hpp), each optionally with
// "head": {"output_dim": k} (a LinearHead on that unit's output). Unit l is seeded `seed + l`, its head
// `seed + 1000 + l`. input_dim of unit l + 1 must equal output_dim of unit l (ConfigError naming the index).
//
// Thread-safety: forward and the units follow the Unit contract; heads are plain values (see head.hpp).

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/random.hpp"
#include "units/head.hpp"
#include "units/unit.hpp"

namespace pib::units {

class DeepPnn {
 public:
  DeepPnn(const nlohmann::json& units, std::uint64_t seed);

  std::size_t size() const { return stages_.size(); }
  Unit& unit(std::size_t l) { return *stages_.at(l).unit; }
  const Unit& unit(std::size_t l) const { return *stages_.at(l).unit; }
  // The head of unit l, or nullptr if it has none.
  LinearHead* head(std::size_t l);
  const LinearHead* head(std::size_t l) const;

  Eigen::Index input_dim() const { return stages_.front().unit->input_dim(); }
  Eigen::Index output_dim() const { return stages_.back().unit->output_dim(); }

  // Measures every unit in turn: out[0] on `input`, out[l] on out[l - 1].output. `out` is resized to size()
  // (its Measurements keep their buffers between calls).
  void forward(const Eigen::Ref<const Matrix>& input, std::vector<Measurement>& out, Rng& rng);

 private:
  struct Stage {
    std::unique_ptr<Unit> unit;
    std::optional<LinearHead> head;
  };
  std::vector<Stage> stages_;
};

}  // namespace pib::units
