// `pib rl`, `pib rl-eval`, `pib latency`: RL training on a deep-PNN Q-network, greedy evaluation of a
// checkpoint, and the latency-mismatch experiment (DESIGN.md 4.3-4.4).

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "agent/latency.hpp"
#include "agent/distributed.hpp"
#include "agent/trainer.hpp"
#include "apps/command.hpp"
#include "apps/mpi.hpp"
#include "apps/run_dir.hpp"

namespace pib::apps {
namespace {

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(digits);
  s << v;
  return s.str();
}

std::string duration(double s) {
  const long t = std::lround(std::max(0.0, s));
  std::ostringstream out;
  if (t >= 3600) out << t / 3600 << "h";
  out << (t % 3600) / 60 << "m" << (t % 60 < 10 ? "0" : "") << t % 60 << "s";
  return out.str();
}

nlohmann::json interval_json(const agent::IntervalMetrics& im) {
  nlohmann::json units = nlohmann::json::array();
  for (const auto& u : im.units) {
    units.push_back({{"td_loss", u.td_loss},
                     {"pib_loss", u.pib_loss},
                     {"I_xz", u.i_xz},
                     {"I_yz", u.i_yz},
                     {"grad_norm_td", u.grad_norm_td},
                     {"grad_norm_pib", u.grad_norm_pib},
                     {"staleness", u.staleness},
                     {"device_busy_us", u.ledger.busy_us},
                     {"device_idle_us", u.ledger.idle_us},
                     {"device_measure_us", u.ledger.measure_us},
                     {"device_deploy_us", u.ledger.deploy_us}});
  }
  nlohmann::json actors = nlohmann::json::array();
  for (const auto& a : im.actors)
    actors.push_back({{"rank", a.rank},
                      {"alive", a.alive},
                      {"steps", a.steps},
                      {"steps_per_s", a.steps_per_s},
                      {"staleness", a.staleness},
                      {"transitions", a.transitions}});
  return {
      {"type", "interval"},
      {"step", im.step},
      {"updates", im.updates},
      {"episodes", im.episodes},
      {"mean_return_100", im.mean_return_100 ? nlohmann::json(*im.mean_return_100) : nlohmann::json(nullptr)},
      {"epsilon", im.epsilon},
      {"lr", im.lr},
      {"steps_per_s", im.steps_per_s},
      {"updates_per_s", im.updates_per_s},
      {"wall_s", im.wall_s},
      {"units", units},
      {"actors", actors}};
}

struct RlOptions {
  std::string config;
  std::vector<std::string> sets;
  std::optional<std::uint64_t> seed;
  std::string out;
  std::string resume;
  int eval_episodes = 100;
};

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
    if (cfg.distributed.actors != transport->size() - 1)
      raise<ConfigError>("distributed.actors: ", cfg.distributed.actors, " actors need mpirun -np ",
                         cfg.distributed.actors + 1, "; this job has ", transport->size(), " ranks");
    agent::run_actor(cfg, *transport);
    return;
  }
  std::unique_ptr<agent::Trainer> trainer;
  std::optional<RunDir> run_dir;
  if (!o.resume.empty()) {
    if (!o.config.empty() || !o.sets.empty() || o.seed)
      raise<InvalidArgument>(
          "--resume continues a run with its own config; do not combine it with --config, "
          "--set or --seed");
    // Locked before the checkpoint is read, so that the checkpoint cannot change under us.
    run_dir.emplace(lock_run_dir(std::filesystem::is_directory(o.resume)
                                     ? std::filesystem::path(o.resume)
                                     : std::filesystem::path(o.resume).parent_path()));
    const auto ckpt = agent::latest_checkpoint(o.resume);
    trainer = agent::Trainer::resume(ckpt);
    std::fprintf(stderr, "pib rl: resuming %s at step %lld\n", ckpt.string().c_str(),
                 static_cast<long long>(trainer->env_steps()));
  } else {
    auto j = load_config(o.config, o.sets);
    if (o.seed) j["seed"] = *o.seed;
    auto cfg = agent::RlConfig::from_json(j);
    if (transport && cfg.distributed.actors != transport->size() - 1)
      raise<ConfigError>("distributed.actors: ", cfg.distributed.actors, " actors need mpirun -np ",
                         cfg.distributed.actors + 1, "; this job has ", transport->size(), " ranks");
    // The trainer (and so every unit) is built before the run directory is made, so that a config error
    // found when the units are built leaves no directory behind.
    trainer = std::make_unique<agent::Trainer>(cfg);
    const auto stem = o.config.empty() ? std::string("rl") : std::filesystem::path(o.config).stem().string();
    run_dir.emplace(make_run_dir(o.out, stem, cfg.seed));
    write_json_file(run_dir->path / "config.json", cfg.to_json());
  }
  const auto& dir = run_dir->path;
  const auto& cfg = trainer->config();
  std::ofstream metrics(dir / "metrics.jsonl", std::ios::app);
  if (!metrics) raise<FileError>((dir / "metrics.jsonl").string(), ": cannot open for writing");
  const std::string schedule = cfg.distributed.actors > 0
                                   ? std::to_string(cfg.distributed.actors) + " distributed actor(s) (" +
                                         (transport ? "MPI ranks" : "threads") + ")"
                                   : cfg.schedule == agent::Schedule::sync ? "sync schedule" : "async schedule";
  std::fprintf(stderr, "pib rl: %s, %zu %s unit(s) (simulated devices), %s, run directory %s\n", cfg.env.c_str(),
               cfg.units.size(), cfg.units[0].value("kind", "?").c_str(), schedule.c_str(), dir.string().c_str());

  const auto record = [&](const nlohmann::json& r) { metrics << r.dump() << "\n"; };  // one metrics.jsonl line
  agent::Callbacks cb;
  cb.on_episode = [&](const agent::EpisodeRecord& e) {
    record({{"type", "episode"},
            {"episode", e.episode},
            {"return", e.episode_return},
            {"length", e.length},
            {"step", e.step}});
  };
  cb.on_interval = [&](const agent::IntervalMetrics& im) {
    record(interval_json(im));
    metrics.flush();
    std::ostringstream line;
    line << "step " << im.step << "/" << cfg.total_steps << "  episodes " << im.episodes << "  mean100 "
         << (im.mean_return_100 ? fixed(*im.mean_return_100, 1) : std::string("-")) << "  eps "
         << fixed(im.epsilon, 3) << "  " << fixed(im.steps_per_s, 0) << " steps/s  "
         << fixed(im.updates_per_s, 0) << " upd/s  I(X;Z) " << fixed(im.units.back().i_xz, 2) << "  I(Y;Z) "
         << fixed(im.units.back().i_yz, 2) << "  elapsed " << duration(im.wall_s)
         << "  left <= " << duration(im.eta_s);
    progress_line(line.str());
  };
  cb.on_fault = [&](std::int64_t step, const agent::FaultEvent& f) {
    record({{"type", "fault"}, {"step", step}, {"unit", f.unit}, {"inject", f.inject}});
    progress_line("fault injected into unit " + std::to_string(f.unit) + " at step " + std::to_string(step) +
                      ": " + f.inject.dump(),
                  true);
  };
  cb.on_solve_check = [&](const agent::SolveCheck& c) {
    record({{"type", "solve_check"},
            {"step", c.step},
            {"episodes", cfg.solve_check_episodes},
            {"mean_return", c.mean_return},
            {"passed", c.passed}});
    progress_line("step " + std::to_string(c.step) + ": the 100-episode mean is at the threshold; greedy check over " +
                      std::to_string(cfg.solve_check_episodes) + " episodes: " + fixed(c.mean_return, 1) +
                      (c.passed ? " (solved)" : " (below: training on)"),
                  true);
  };
  cb.on_checkpoint = [&](const std::filesystem::path&) {};
  cb.on_actor_failure = [&](int rank, const std::string& message) {
    record({{"type", "actor_failure"}, {"rank", rank}, {"message", message}});
    progress_line("actor rank " + std::to_string(rank) + " failed and was dropped: " + message, true);
  };
  auto summary = trainer->run(cb, dir, transport);
  progress_line("pib rl: finished at step " + std::to_string(summary.env_steps), true);

  auto j = summary.to_json();
  if (o.eval_episodes > 0) {
    const auto returns =
        trainer->evaluate(o.eval_episodes, pib::derive_seed(cfg.seed, pib::Stream::evaluation));
    const double mean = std::accumulate(returns.begin(), returns.end(), 0.0) / returns.size();
    double var = 0;
    for (double r : returns)
      var += (r - mean) * (r - mean);
    j["eval"] = {{"episodes", returns.size()},
                 {"mean_return", mean},
                 {"std_return", std::sqrt(var / returns.size())},
                 {"policy", "greedy, final parameters"}};
  }
  write_json_file(dir / "summary.json", j);
  std::cout << j.dump() << std::endl;
}

void run_rl_eval(const std::string& checkpoint, int episodes, std::uint64_t seed) {
  if (episodes <= 0) raise<InvalidArgument>("--episodes must be > 0, got ", episodes);
  const auto ckpt = agent::latest_checkpoint(checkpoint);
  auto trainer = agent::Trainer::resume(ckpt);
  const auto returns = trainer->evaluate(episodes, seed);
  const double mean = std::accumulate(returns.begin(), returns.end(), 0.0) / returns.size();
  double var = 0;
  for (double r : returns)
    var += (r - mean) * (r - mean);
  for (std::size_t i = 0; i < returns.size(); ++i)
    std::cout << nlohmann::json{{"episode", i}, {"return", returns[i]}}.dump() << "\n";
  std::cout << nlohmann::json{{"checkpoint", ckpt.string()},
                              {"mean_return", mean},
                              {"std_return", std::sqrt(var / returns.size())},
                              {"episodes", returns.size()}}
                   .dump()
            << std::endl;
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
    line << "deploy " << p.deploy_us << " us, forward " << p.forward_us_per_sample << " us/sample: sync "
         << fixed(p.sync_s_per_update * 1e3, 2) << " ms/update, async "
         << fixed(p.async_s_per_update * 1e3, 2) << " ms/update, speedup " << fixed(p.async_speedup, 2)
         << " (ideal " << fixed(p.ideal_speedup, 2) << ")";
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

const CommandRegistration registration{"rl", &setup_rl_commands};

}  // namespace
}  // namespace pib::apps
