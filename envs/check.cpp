#include "envs/check.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>

#include "envs/registry.hpp"

namespace pib::envs {
namespace {

template <typename T>
std::vector<T> column(const nlohmann::json& trajectory, const char* key, const std::string& where) {
  const auto it = trajectory.find(key);
  if (it == trajectory.end() || !it->is_array()) raise<FileError>(where, ": missing array '", key, "'");
  try {
    return it->get<std::vector<T>>();
  } catch (const nlohmann::json::exception& e) {
    raise<FileError>(where, ": '", key, "' has values of the wrong type (", e.what(), ")");
  }
}

}  // namespace

ReferenceTrace parse_reference_trace(const nlohmann::json& document, const std::string& source) {
  const auto envs = document.find("environments");
  if (!document.is_object() || envs == document.end() || !envs->is_object())
    raise<FileError>(source, ": expected an object with an 'environments' object");
  ReferenceTrace trace;
  for (const auto& [id, trajectories] : envs->items()) {
    if (!trajectories.is_array()) raise<FileError>(source, ": environments.", id, " is not an array");
    auto& records = trace[id];
    for (std::size_t i = 0; i < trajectories.size(); ++i) {
      const std::string where = source + ": environments." + id + "[" + std::to_string(i) + "]";
      const auto& t = trajectories[i];
      if (!t.is_object()) raise<FileError>(where, " is not an object");
      TrajectoryRecord r;
      r.initial_state = column<double>(t, "initial_state", where);
      r.actions = column<int>(t, "actions", where);
      r.states = column<std::vector<double>>(t, "states", where);
      r.rewards = column<double>(t, "rewards", where);
      r.terminated = column<bool>(t, "terminated", where);
      r.truncated = column<bool>(t, "truncated", where);
      const std::size_t n = r.actions.size();
      if (r.states.size() != n || r.rewards.size() != n || r.terminated.size() != n ||
          r.truncated.size() != n)
        raise<FileError>(where, ": actions, states, rewards, terminated and truncated differ in length");
      for (const auto& s : r.states) {
        if (s.size() != r.initial_state.size())
          raise<FileError>(where, ": a state has ", s.size(), " values, the initial state ",
                           r.initial_state.size());
      }
      records.push_back(std::move(r));
    }
  }
  return trace;
}

ReferenceTrace load_reference_trace(const std::string& path) {
  std::ifstream in(path);
  if (!in) raise<FileError>("cannot open reference trace '", path, "'");
  nlohmann::json document;
  try {
    in >> document;
  } catch (const nlohmann::json::exception& e) {
    raise<FileError>("reference trace '", path, "' is not valid JSON: ", e.what());
  }
  return parse_reference_trace(document, path);
}

nlohmann::json CheckReport::to_json() const {
  return {{"env", env_id},
          {"trajectories", trajectories},
          {"steps", steps},
          {"max_state_error", max_state_error},
          {"state_mismatches", state_mismatches},
          {"reward_mismatches", reward_mismatches},
          {"flag_mismatches", flag_mismatches},
          {"tolerance", tolerance},
          {"passed", passed()}};
}

CheckReport check_trajectories(Environment& env, const std::vector<TrajectoryRecord>& trajectories,
                               double tolerance) {
  if (!std::isfinite(tolerance) || tolerance < 0)
    raise<InvalidArgument>("check tolerance is ", tolerance, ", expected a finite number >= 0");
  if (!env.supports_state())
    raise<StateError>(env.id(), " cannot expose and restore its state, so it cannot be checked step by step");
  CheckReport report;
  report.env_id = env.id();
  report.tolerance = tolerance;
  report.trajectories = trajectories.size();
  for (const auto& t : trajectories) {
    for (std::size_t k = 0; k < t.actions.size(); ++k) {
      const std::vector<double>& previous = k == 0 ? t.initial_state : t.states[k - 1];
      env.set_state(previous, static_cast<int>(k));
      const StepResult r = env.step(t.actions[k]);
      const EnvState now = env.get_state();
      double error = 0.0;
      for (std::size_t j = 0; j < now.values.size(); ++j) {
        const double ref = t.states[k][j];
        const double e = std::abs(now.values[j] - ref) / std::max(1.0, std::abs(ref));
        error = std::isnan(e) ? INFINITY : std::max(error, e);
      }
      report.max_state_error = std::max(report.max_state_error, error);
      report.state_mismatches += error > tolerance;
      report.reward_mismatches += r.reward != t.rewards[k];
      report.flag_mismatches += r.terminated != t.terminated[k] || r.truncated != t.truncated[k];
      ++report.steps;
    }
  }
  return report;
}

std::vector<CheckReport> check_trace(const ReferenceTrace& trace, double tolerance) {
  std::vector<CheckReport> reports;
  for (const auto& [id, trajectories] : trace) {
    const auto env = make(id);
    reports.push_back(check_trajectories(*env, trajectories, tolerance));
  }
  return reports;
}

}  // namespace pib::envs
