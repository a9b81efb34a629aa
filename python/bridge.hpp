#pragma once
// The bridge between Python and pib's environments (DESIGN.md section 1: python/ uses everything; no core
// library includes Python).
//
// * PythonEnvironment is an envs::Environment around a Python object with Gymnasium's API:
//   `reset(seed=...) -> (obs, info)`, `step(action) -> (obs, reward, terminated, truncated, info)`,
//   `action_space.n` (discrete) and `observation_space.shape/low/high`. The spaces are checked when it is
//   made; every observation is checked for its shape and a numeric dtype. Whatever the Python side does wrong
//   (an exception inside `step`, a wrong shape or dtype, a space that is not discrete) is an
//   envs::EnvironmentError naming the environment, the episode (the number of resets of this copy) and the
//   step, with the Python traceback.
// * The GIL is held only while Python code runs: the agent's learner and devices never wait on it. A thread
//   keeps its Python thread state between calls, so an actor thread pays for it once.
// * The id family "python:MODULE:FACTORY" (register_family) imports MODULE (on PYTHONPATH) and calls FACTORY (a
//   function or class with Gymnasium's API) for every new environment; the `pib` program embeds an
//   interpreter for it (start_interpreter).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <pybind11/pybind11.h>

#include "envs/environment.hpp"
#include "envs/registry.hpp"

namespace pib::python {

// Makes sure an interpreter runs in this process: in the `pib` program, starts one (without Python's signal
// handlers, so Ctrl-C stays the program's) and releases the GIL; inside Python, does nothing.
void start_interpreter();

// A factory for the registry: every call makes a new environment with `make()` (a Python callable returning
// an object with Gymnasium's API), wrapped as a PythonEnvironment named `id`. Holds `make` safely across
// threads.
envs::EnvironmentFactory python_factory(const std::string& id, pybind11::object make);

// Registers `env` under a new id of its own and returns the id: a class or function is called for every new
// environment, an environment object is deep-copied (copy.deepcopy) for every new one.
std::string register_object(pybind11::object env);

// Registers the family "python:MODULE:FACTORY" (once per process; later calls do nothing).
void register_family();

class PythonEnvironment final : public envs::Environment {
 public:
  // Wraps `env` (the GIL must be held). Throws envs::EnvironmentError when its spaces are not Gymnasium's
  // Discrete action space and a numeric Box of observations.
  PythonEnvironment(std::string id, pybind11::object env);
  ~PythonEnvironment() override;

  std::string id() const override { return id_; }
  const envs::Box& observation_space() const override { return observation_space_; }
  const envs::Discrete& action_space() const override { return action_space_; }
  int max_episode_steps() const override { return max_episode_steps_; }
  std::optional<double> reward_threshold() const override { return reward_threshold_; }

  std::span<const float> reset(std::uint64_t seed) override;
  std::span<const float> reset() override;
  envs::StepResult step(int action) override;
  std::span<const float> observation() const override { return obs_; }
  int elapsed_steps() const override { return elapsed_; }
  std::unique_ptr<envs::Environment> clone() const override;

  // The wrapped Python object (GIL needed to use it).
  const pybind11::object& object() const;

 private:
  struct Objects;  // the Python objects, released under the GIL
  std::span<const float> reset_with(std::optional<std::uint64_t> seed);
  [[noreturn]] void fail(const std::string& what) const;
  void read_observation(pybind11::handle obs, const char* call);

  std::string id_;
  std::shared_ptr<Objects> py_;
  envs::Box observation_space_;
  envs::Discrete action_space_;
  int max_episode_steps_;
  std::optional<double> reward_threshold_;
  std::vector<float> obs_;
  std::int64_t episode_ = -1;  // resets of this copy so far, minus one
  int elapsed_ = 0;
  bool running_ = false;
};

}  // namespace pib::python
