#pragma once
// Checking an environment against a recorded reference trace, step by step (issue 2, DESIGN.md 4.1).
//
// The trace layout (tests/data/classic_control_gymnasium.json): {"environments": {id: [trajectory, ...]}}
// where a trajectory has `initial_state`, `actions`, and per step `states`, `rewards`, `terminated`,
// `truncated`. For step k the check restores the recorded previous state (the initial state for k = 0) with
// step count k, steps once with the recorded action, and compares the new state to the recorded one relative
// to max(1, |recorded value|), the reward exactly, and both flags exactly.
//
// Why per step: the traces were computed with numpy's sin/cos, which differ from the C library's by one ulp
// in about half the calls; free-running rollouts amplify that (CartPole to whole units within a few hundred
// steps), while one step from the same state agrees to about 5e-16.

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "envs/environment.hpp"

namespace pib::envs {

struct TrajectoryRecord {
  std::vector<double> initial_state;
  std::vector<int> actions;
  std::vector<std::vector<double>> states;  // after each step
  std::vector<double> rewards;
  std::vector<bool> terminated;
  std::vector<bool> truncated;
};

// id -> trajectories, ordered by id.
using ReferenceTrace = std::map<std::string, std::vector<TrajectoryRecord>>;

// Parses a trace. Throws FileError naming the file and what is wrong (missing, not JSON, a missing field, a
// trajectory whose columns differ in length).
ReferenceTrace load_reference_trace(const std::string& path);
ReferenceTrace parse_reference_trace(const nlohmann::json& document, const std::string& source = "trace");

struct CheckReport {
  std::string env_id;
  std::size_t trajectories = 0;
  std::size_t steps = 0;
  double max_state_error = 0.0;      // max over steps and values of |ours - ref| / max(1, |ref|)
  std::size_t state_mismatches = 0;  // steps whose state error exceeds the tolerance
  std::size_t reward_mismatches = 0;
  std::size_t flag_mismatches = 0;  // steps where terminated or truncated differ
  double tolerance = 0.0;

  bool passed() const { return state_mismatches == 0 && reward_mismatches == 0 && flag_mismatches == 0; }
  nlohmann::json to_json() const;
};

// Checks `env` (which must support state get/set) against the trajectories. Throws StateError if the
// environment cannot restore states, InvalidArgument on a negative or non-finite tolerance, InvalidStateError
// when a recorded state has the wrong length.
CheckReport check_trajectories(Environment& env, const std::vector<TrajectoryRecord>& trajectories,
                               double tolerance);

// Checks every environment of the trace, each created with make(id) (UnknownEnvironmentError if unknown).
std::vector<CheckReport> check_trace(const ReferenceTrace& trace, double tolerance);

}  // namespace pib::envs
