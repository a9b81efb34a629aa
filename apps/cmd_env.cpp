// `pib env ...`: list the environments, roll one out with given actions, check one against a recorded
// reference trace, run random-policy episodes. Thin: parsing and printing only; the work is in envs/.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "apps/command.hpp"
#include "common/error.hpp"
#include "common/random.hpp"
#include "envs/check.hpp"
#include "envs/registry.hpp"

namespace {

using pib::InvalidArgument;
using pib::raise;

// A reference check found a mismatch (exit code 2 after the report was printed).
class CheckFailedError : public pib::Error {
 public:
  using pib::Error::Error;
};

// Splits on commas and whitespace, dropping empty items.
std::vector<std::string> split_items(const std::string& text) {
  std::vector<std::string> items;
  std::string current;
  for (char c : text) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      if (!current.empty()) items.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) items.push_back(current);
  return items;
}

std::vector<int> parse_actions(const std::string& list_or_file) {
  std::string text = list_or_file;
  std::string source = "--actions";
  std::error_code ec;
  if (std::filesystem::is_regular_file(list_or_file, ec)) {
    std::ifstream in(list_or_file);
    if (!in) raise<pib::FileError>("cannot read the actions file '", list_or_file, "'");
    std::ostringstream content;
    content << in.rdbuf();
    text = content.str();
    source = "actions file '" + list_or_file + "'";
  }
  std::vector<int> actions;
  for (const auto& item : split_items(text)) {
    int value = 0;
    const auto [end, err] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (err != std::errc{} || end != item.data() + item.size())
      raise<InvalidArgument>(source, ": '", item, "' is not an integer action");
    actions.push_back(value);
  }
  if (actions.empty()) raise<InvalidArgument>(source, ": no actions given");
  return actions;
}

std::vector<double> parse_state(const std::string& text) {
  std::vector<double> values;
  for (const auto& item : split_items(text)) {
    std::size_t used = 0;
    double value = 0;
    try {
      value = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size()) raise<InvalidArgument>("--initial-state: '", item, "' is not a number");
    values.push_back(value);
  }
  return values;
}

// JSON number with the given significant digits (null when not finite: JSON has no inf/nan).
std::string number(double v, int digits) {
  if (!std::isfinite(v)) return "null";
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.*g", digits, v);
  return buffer;
}

template <typename T>
std::string array(const std::vector<T>& values, int digits) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += number(values[i], digits);
  }
  out += ']';
  return out;
}

void list_command() {
  for (const auto& id : pib::envs::registered_ids()) {
    const auto env = pib::envs::make(id);
    nlohmann::json line = {{"id", id},
                           {"observation_dim", env->observation_dim()},
                           {"action_count", env->action_count()},
                           {"max_episode_steps", env->max_episode_steps()},
                           {"reward_threshold", nullptr},
                           {"supports_state", env->supports_state()}};
    if (const auto threshold = env->reward_threshold()) line["reward_threshold"] = *threshold;
    std::cout << line.dump() << "\n";
  }
}

struct RolloutOptions {
  std::string env;
  std::optional<std::uint64_t> seed;
  std::string initial_state;
  std::string actions;
};

void rollout_command(const RolloutOptions& o) {
  const auto env = pib::envs::make(o.env);
  const std::vector<int> actions = parse_actions(o.actions);
  if (o.seed) {
    env->reset(*o.seed);
  } else {
    if (!env->supports_state()) raise<InvalidArgument>(o.env, " cannot start from a given state: use --seed");
    const std::vector<double> state = parse_state(o.initial_state);
    if (state.size() != env->state_dim())
      raise<InvalidArgument>("--initial-state has ", state.size(), " values, ", o.env, " needs ",
                             env->state_dim());
    env->set_state(state, 0);
  }
  for (std::size_t t = 0; t < actions.size(); ++t) {
    const pib::envs::StepResult r = env->step(actions[t]);
    const std::vector<float> observation(r.observation.begin(), r.observation.end());
    std::string line = "{\"t\":" + std::to_string(t + 1) + ",\"action\":" + std::to_string(actions[t]);
    if (env->supports_state()) line += ",\"state\":" + array(env->get_state().values, 17);
    line += ",\"observation\":" + array(observation, 9) + ",\"reward\":" + number(r.reward, 17) +
            ",\"terminated\":" + (r.terminated ? "true" : "false") +
            ",\"truncated\":" + (r.truncated ? "true" : "false") + "}";
    std::cout << line << "\n";
    if ((r.terminated || r.truncated) && t + 1 < actions.size()) {
      std::cerr << "pib env rollout: the episode ended at t = " << t + 1 << "; the remaining "
                << actions.size() - t - 1 << " actions were not used\n";
      break;
    }
  }
}

void check_command(const std::string& trace_path, double tolerance) {
  const pib::envs::ReferenceTrace trace = pib::envs::load_reference_trace(trace_path);
  const auto reports = pib::envs::check_trace(trace, tolerance);
  nlohmann::json out = {
      {"trace", trace_path}, {"tolerance", tolerance}, {"environments", nlohmann::json::object()}};
  bool passed = true;
  std::string failed;
  for (const auto& r : reports) {
    out["environments"][r.env_id] = r.to_json();
    if (!r.passed()) {
      passed = false;
      if (!failed.empty()) failed += ", ";
      failed += r.env_id;
    }
  }
  out["passed"] = passed;
  std::cout << out.dump(2) << std::endl;
  if (!passed) raise<CheckFailedError>("reference check failed for ", failed, " (see the report above)");
}

void random_command(const std::string& id, int episodes, std::uint64_t seed) {
  if (episodes < 1) raise<InvalidArgument>("--episodes is ", episodes, ", expected >= 1");
  const auto env = pib::envs::make(id);
  // The policy's stream and every episode's reset seed are derived from the seed, each its own stream.
  auto policy = pib::Rng::derive(seed, pib::Stream::policy);
  const auto n_actions = static_cast<std::uint64_t>(env->action_count());
  std::vector<double> returns;
  double total_length = 0;
  for (int e = 0; e < episodes; ++e) {
    env->reset(pib::derive_seed(seed, pib::Stream::episode, static_cast<std::uint64_t>(e)));
    double episode_return = 0;
    int length = 0;
    while (true) {
      const auto r = env->step(static_cast<int>(policy.below(n_actions)));
      episode_return += r.reward;
      ++length;
      if (r.terminated || r.truncated) break;
    }
    returns.push_back(episode_return);
    total_length += length;
    std::cout << nlohmann::json{{"episode", e + 1}, {"return", episode_return}, {"length", length}}.dump()
              << "\n";
  }
  double mean = 0;
  for (double r : returns)
    mean += r;
  mean /= static_cast<double>(returns.size());
  double var = 0;
  for (double r : returns)
    var += (r - mean) * (r - mean);
  var /= static_cast<double>(returns.size());
  nlohmann::json summary = {{"env", id},
                            {"policy", "uniform random"},
                            {"episodes", episodes},
                            {"seed", seed},
                            {"mean_return", mean},
                            {"std_return", std::sqrt(var)},
                            {"min_return", *std::min_element(returns.begin(), returns.end())},
                            {"max_return", *std::max_element(returns.begin(), returns.end())},
                            {"mean_length", total_length / episodes},
                            {"reward_threshold", nullptr}};
  if (const auto threshold = env->reward_threshold()) summary["reward_threshold"] = *threshold;
  std::cout << nlohmann::json{{"summary", summary}}.dump() << std::endl;
}

void setup_env_commands(CLI::App& root) {
  CLI::App* env =
      root.add_subcommand("env", "Environments: list, roll out, check against a reference, run randomly");
  env->require_subcommand(1);

  env->add_subcommand("list", "List the registered environment ids (one JSON object per line)")->callback([] {
    list_command();
  });

  auto rollout_options = std::make_shared<RolloutOptions>();
  auto rollout_seed = std::make_shared<std::uint64_t>(0);
  CLI::App* rollout = env->add_subcommand(
      "rollout", "Step an environment through given actions; print one JSON object per step");
  rollout->add_option("--env", rollout_options->env, "Environment id (see `pib env list`)")->required();
  CLI::Option* seed = rollout->add_option("--seed", *rollout_seed, "Reset with this seed");
  CLI::Option* initial = rollout->add_option("--initial-state", rollout_options->initial_state,
                                             "Start from this internal state: v1,v2,... (step count 0)");
  seed->excludes(initial);
  rollout
      ->add_option("--actions", rollout_options->actions,
                   "Comma-separated actions, or a file of them (use --actions=-1,... for a leading negative)")
      ->required();
  rollout->callback([rollout_options, rollout_seed, seed, initial] {
    if (seed->count() == 0 && initial->count() == 0)
      raise<InvalidArgument>("pib env rollout needs --seed S or --initial-state=v1,v2,...");
    rollout_options->seed.reset();
    if (seed->count() > 0) rollout_options->seed = *rollout_seed;
    rollout_command(*rollout_options);
  });

  auto trace = std::make_shared<std::string>();
  auto tolerance = std::make_shared<double>(1e-12);
  CLI::App* check = env->add_subcommand(
      "check", "Check environments step by step against a recorded reference trace; exit 2 on a mismatch");
  check
      ->add_option("--trace", *trace,
                   "Reference trace (JSON, tests/data/classic_control_gymnasium.json layout)")
      ->required();
  check->add_option("--tolerance", *tolerance, "State tolerance relative to max(1, |value|)")
      ->capture_default_str();
  check->callback([trace, tolerance] { check_command(*trace, *tolerance); });

  auto random_env = std::make_shared<std::string>("CartPole-v1");
  auto episodes = std::make_shared<int>(10);
  auto random_seed = std::make_shared<std::uint64_t>(0);
  CLI::App* random = env->add_subcommand(
      "random", "Run random-policy episodes; print each episode's return and length, then a JSON summary");
  random->add_option("--env", *random_env, "Environment id")->capture_default_str();
  random->add_option("--episodes", *episodes, "Number of episodes")->capture_default_str();
  random->add_option("--seed", *random_seed, "Episode e resets with the seed derived from this one and e")
      ->capture_default_str();
  random->callback(
      [random_env, episodes, random_seed] { random_command(*random_env, *episodes, *random_seed); });
}

const pib::apps::CommandRegistration env_command{"env", &setup_env_commands};

}  // namespace
