// `pib rl`, `pib rl-eval`, `pib latency`: RL training on a deep-PNN Q-network, greedy evaluation of a
// checkpoint, and the latency-mismatch experiment (DESIGN.md 4.3-4.4).

#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "agent/latency.hpp"
#include "agent/distributed.hpp"
#include "agent/run.hpp"
#include "agent/trainer.hpp"
#include "apps/command.hpp"
#include "apps/interrupt.hpp"
#include "apps/mpi.hpp"
#include "common/run_dir.hpp"

namespace pib::apps {
namespace {

struct RlOptions {
  std::string config;
  std::vector<std::string> sets;
  std::optional<std::uint64_t> seed;
  std::string out;
  std::string resume;
  int eval_episodes = 100;
};

// Under mpirun a distributed config needs a learner rank and one rank per actor (checked before a run
// directory is made).
void check_ranks(const agent::RlConfig& cfg, Transport& transport) {
  if (cfg.distributed.actors != transport.size() - 1)
    raise<ConfigError>("distributed.actors: ", cfg.distributed.actors, " actors need mpirun -np ",
                       cfg.distributed.actors + 1, "; this job has ", transport.size(), " ranks");
}

void run_rl(const RlOptions& o, MpiSession* mpi) {
  Transport* transport = mpi && mpi->size() > 1 ? &mpi->transport() : nullptr;
  if (transport && transport->rank() > 0) {  // an actor rank: no run directory, no output of its own
    nlohmann::json j;
    if (!o.resume.empty()) {  // the run's own config (rank 0 reads the same from the checkpoint)
      const auto dir = std::filesystem::is_directory(o.resume) ? std::filesystem::path(o.resume)
                                                               : std::filesystem::path(o.resume).parent_path();
      j = read_json_file((dir / "config.json").string());
    } else {
      j = load_config(o.config, o.sets);
      if (o.seed) j["seed"] = *o.seed;
    }
    const auto cfg = agent::RlConfig::from_json(j);
    check_ranks(cfg, *transport);
    agent::run_actor(cfg, *transport);
    return;
  }
  std::unique_ptr<agent::RlRun> run;
  if (!o.resume.empty()) {
    if (!o.config.empty() || !o.sets.empty() || o.seed)
      raise<InvalidArgument>(
          "--resume continues a run with its own config; do not combine it with --config, "
          "--set or --seed");
    run = agent::RlRun::resume(o.resume);
    std::fprintf(stderr, "pib rl: resuming %s at step %lld\n", run->dir().string().c_str(),
                 static_cast<long long>(run->trainer().env_steps()));
  } else {
    auto j = load_config(o.config, o.sets);
    if (o.seed) j["seed"] = *o.seed;
    auto cfg = agent::RlConfig::from_json(j);
    if (transport) check_ranks(cfg, *transport);
    const auto stem = o.config.empty() ? std::string("rl") : std::filesystem::path(o.config).stem().string();
    run = agent::RlRun::start(cfg, o.out, stem);
  }
  const auto& cfg = run->trainer().config();
  const std::string schedule = cfg.distributed.actors > 0
                                   ? std::to_string(cfg.distributed.actors) + " distributed actor(s) (" +
                                         (transport ? "MPI ranks" : "threads") + ")"
                                   : cfg.schedule == agent::Schedule::sync ? "sync schedule" : "async schedule";
  std::fprintf(stderr, "pib rl: %s, %zu %s unit(s) (simulated devices), %s, run directory %s\n", cfg.env.c_str(),
               cfg.units.size(), cfg.units[0].value("kind", "?").c_str(), schedule.c_str(),
               run->dir().string().c_str());
  // Ctrl-C (SIGINT) ends the run between two steps with a checkpoint; a second Ctrl-C kills the process.
  const agent::StopOnInterrupt interrupt(run->trainer());
  const auto summary = run->run({}, [](const std::string& text, bool final) { progress_line("pib rl: " + text, final); },
                                o.eval_episodes, transport);
  std::cout << summary.dump() << std::endl;
  if (summary.value("interrupted", false)) raise<Interrupted>("interrupted; the run can go on with pib rl --resume ",
                                                              run->dir().string());
}

void run_rl_eval(const std::string& checkpoint, int episodes, std::uint64_t seed) {
  if (episodes <= 0) raise<InvalidArgument>("--episodes must be > 0, got ", episodes);
  const auto ckpt = agent::latest_checkpoint(checkpoint);
  auto trainer = agent::Trainer::resume(ckpt);
  const auto returns = trainer->evaluate(episodes, seed);
  for (std::size_t i = 0; i < returns.size(); ++i)
    std::cout << nlohmann::json{{"episode", i}, {"return", returns[i]}}.dump() << "\n";
  auto summary = agent::eval_record(returns);
  summary["checkpoint"] = ckpt.string();
  std::cout << summary.dump() << std::endl;
}

void run_latency(const std::string& config, const std::vector<std::string>& sets, const std::string& out) {
  const auto lc = agent::LatencyConfig::from_json(load_config(config, sets));
  // Building the base run's trainer checks every unit config before the run directory is made, so that a
  // config error leaves no directory behind (time_scale 1e9: latency emulation off, the check takes no
  // device time).
  {
    auto probe = lc.base;
    probe.time_scale = 1e9;
    const agent::Trainer check(probe);
  }
  const auto run_dir = make_run_dir(out, "latency", lc.base.seed);
  const auto& dir = run_dir.path;
  write_json_file(dir / "config.json", lc.to_json());
  std::fprintf(stderr, "pib latency: %zu settings x (sync, async), %lld updates each, run directory %s\n",
               lc.deploy_us.size() * lc.forward_us_per_sample.size(), static_cast<long long>(lc.updates),
               dir.string().c_str());
  nlohmann::json points = nlohmann::json::array();
  const auto result = agent::run_latency_experiment(lc, [&](const agent::LatencyPoint& p) {
    points.push_back(p.to_json());
    std::ostringstream line;
    line << "deploy " << p.deploy_us << " us, forward " << p.forward_us_per_sample << " us/sample: sync ";
    line.setf(std::ios::fixed);
    line.precision(2);
    line << p.sync_s_per_update * 1e3 << " ms/update, async " << p.async_s_per_update * 1e3
         << " ms/update, speedup " << p.async_speedup << " (ideal " << p.ideal_speedup << ")";
    progress_line(line.str(), true);
  });
  nlohmann::json summary = {{"points", points}, {"devices_simulated", true}, {"time_scale", lc.time_scale}};
  write_json_file(dir / "summary.json", summary);
  std::cout << summary.dump() << std::endl;
}

void setup_rl_commands(CLI::App& root) {
  auto opts = std::make_shared<RlOptions>();
  auto* rl = root.add_subcommand("rl", "Train a deep-PNN Q-network with local PIB + TD losses");
  rl->add_option("--config", opts->config, "JSON config (configs/cartpole_optical.json, ...)");
  rl->add_option("--set", opts->sets, "Override a config key: key.path=value (repeatable)");
  rl->add_option("--seed", opts->seed, "Seed (overrides the config's)");
  rl->add_option("--out", opts->out, "Run directory (default runs/<config>-seed<S>)");
  rl->add_option("--resume", opts->resume, "Continue the run in this directory from its latest checkpoint");
  rl->add_option("--eval-episodes", opts->eval_episodes,
                 "Greedy evaluation episodes after training, recorded in summary.json (0: none)")
      ->capture_default_str();
  rl->callback([opts] {
    if (opts->config.empty() && opts->resume.empty())
      raise<InvalidArgument>("pib rl needs --config FILE (or --resume DIR)");
    run_as_rank([&](MpiSession* mpi) { run_rl(*opts, mpi); });
  });

  auto eval_checkpoint = std::make_shared<std::string>();
  auto eval_episodes = std::make_shared<int>(100);
  auto eval_seed = std::make_shared<std::uint64_t>(12345);
  auto* ev = root.add_subcommand("rl-eval", "Greedy evaluation of a checkpoint; the last line is JSON");
  ev->add_option("--checkpoint", *eval_checkpoint, "A checkpoint file, or a run directory (its latest)")
      ->required();
  ev->add_option("--episodes", *eval_episodes, "Episodes")->capture_default_str();
  ev->add_option("--seed", *eval_seed, "Seed of the evaluation episodes")->capture_default_str();
  ev->callback([=] { run_rl_eval(*eval_checkpoint, *eval_episodes, *eval_seed); });

  auto lat_config = std::make_shared<std::string>();
  auto lat_sets = std::make_shared<std::vector<std::string>>();
  auto lat_out = std::make_shared<std::string>();
  auto* lat = root.add_subcommand("latency",
                                  "The latency-mismatch experiment: sync vs async across device latencies");
  lat->add_option("--config", *lat_config, "JSON config (configs/latency.json)")->required();
  lat->add_option("--set", *lat_sets, "Override a config key: key.path=value (repeatable)");
  lat->add_option("--out", *lat_out, "Run directory (default runs/latency-seed<S>)");
  lat->callback([=] { run_latency(*lat_config, *lat_sets, *lat_out); });
}

const CommandRegistration rl_command{"rl", &setup_rl_commands};

}  // namespace
}  // namespace pib::apps
