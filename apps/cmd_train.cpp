// `pib train`: supervised and self-supervised PIB training of deep PNNs on simulated devices, with the
// backprop-in-silico baseline and the fault experiment (train/trainer.hpp; DESIGN.md 3.6, 7).

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "apps/command.hpp"
#include "apps/mpi.hpp"
#include "apps/train_progress.hpp"
#include "common/run_dir.hpp"
#include "train/trainer.hpp"

namespace pib::apps {
namespace {


struct TrainOptions {
  std::string config;
  std::vector<std::string> sets;
  std::optional<std::uint64_t> seed;
  std::string out;
  std::string resume;
};

void run_train(const TrainOptions& o, MpiSession* mpi) {
  Transport* transport = mpi && mpi->size() > 1 ? &mpi->transport() : nullptr;
  const int rank = transport ? transport->rank() : 0;
  const bool resume = !o.resume.empty();
  nlohmann::json j;
  if (resume) {
    if (!o.sets.empty() || o.seed || !o.config.empty() || !o.out.empty())
      raise<ConfigError>("--resume continues a run as its config.json says: no --config, --set, --seed or --out");
    j = read_json_file((std::filesystem::path(o.resume) / "config.json").string());
  } else {
    if (o.config.empty()) raise<ConfigError>("--config: required (or --resume DIR)");
    j = load_config(o.config, o.sets);
    if (o.seed) j["seed"] = *o.seed;
  }
  const auto cfg = train::TrainConfig::from_json(j);
  if (transport && cfg.schedule != train::Schedule::decentralised)
    raise<ConfigError>("schedule: ", train::schedule_name(cfg.schedule), " runs in one process; run it without mpirun (this job has ",
                       transport->size(), " ranks) or use schedule decentralised");
  if (transport && static_cast<std::size_t>(transport->size()) != cfg.units.size())
    raise<ConfigError>("schedule decentralised runs unit r on rank r: the config has ", cfg.units.size(),
                       " units, so it needs mpirun -np ", cfg.units.size(), "; this job has ", transport->size(), " ranks");
  if (resume && cfg.schedule != train::Schedule::decentralised)
    raise<ConfigError>("--resume: only schedule decentralised runs keep checkpoints (", o.resume, " ran schedule ",
                       train::schedule_name(cfg.schedule), ")");
  const auto stem = resume ? std::string() : std::filesystem::path(o.config).stem().string();
  // The run directory. One process: made at the first record, after the data are loaded and every unit
  // config is checked against them, so a config error leaves no directory behind (a decentralised run's
  // checkpoints go there too). MPI: rank 0 makes it now and tells the other ranks. Rank 0 writes metrics.jsonl; under MPI rank r > 0 writes
  // rank<r>/metrics.jsonl.
  std::optional<RunDir> run_dir;
  std::filesystem::path dir;
  std::ofstream metrics;
  const auto open_run_dir = [&] {
    if (!dir.empty()) return;
    if (rank == 0) {
      run_dir.emplace(resume ? lock_run_dir(o.resume) : make_run_dir(o.out, stem, cfg.seed));
      if (!resume) write_json_file(run_dir->path / "config.json", cfg.to_json());
      std::fprintf(stderr, "pib train: %s, %zu unit(s) on simulated devices%s, run directory %s\n",
                   resume ? "resumed" : stem.c_str(), cfg.units.size(),
                   transport ? (", " + std::to_string(transport->size()) + " MPI ranks").c_str() : "",
                   run_dir->path.string().c_str());
    }
    dir = transport ? std::filesystem::path(mpi->broadcast(rank == 0 ? run_dir->path.string() : "")) : run_dir->path;
    const auto file = rank == 0 ? dir / "metrics.jsonl" : dir / ("rank" + std::to_string(rank)) / "metrics.jsonl";
    std::filesystem::create_directories(file.parent_path());
    metrics.open(file, resume ? std::ios::app : std::ios::trunc);
    if (!metrics) raise<FileError>(file.string(), ": cannot open for writing");
  };
  if (transport || resume) open_run_dir();
  train::RunOptions run;
  run.transport = transport;
  run.resume = resume;
  train::Callbacks cb;
  cb.on_record = [&](const nlohmann::json& r) {  // the trainer serialises its callbacks
    open_run_dir();
    if (cfg.schedule == train::Schedule::decentralised && run.checkpoint_dir.empty())
      run.checkpoint_dir = dir;  // at the first record, before any rank trains (RunOptions)
    metrics << r.dump() << "\n";
    metrics.flush();
  };
  const std::string prefix = transport ? "[rank " + std::to_string(rank) + "] " : "";
  cb.on_progress = [&](const train::Progress& p) { progress_line(prefix + format_progress(p), transport != nullptr); };
  const auto result = train::run_training(cfg, cb, run);
  open_run_dir();
  if (rank != 0) return;
  progress_line("pib train: done", true);
  auto summary = result.to_json();
  summary["config"] = resume ? (dir / "config.json").string() : o.config;
  summary["seed"] = cfg.seed;
  if (cfg.schedule == train::Schedule::decentralised) summary["transport"] = transport ? "mpi" : "in-process";
  write_json_file(dir / "summary.json", summary);
  if (result.embedding_features.rows() > 0) {  // for tools/plot_train.py's t-SNE
    std::ofstream csv(dir / "features_test.csv", std::ios::trunc);
    for (Eigen::Index i = 0; i < result.embedding_features.rows(); ++i) {
      for (Eigen::Index j = 0; j < result.embedding_features.cols(); ++j)
        csv << result.embedding_features(i, j) << ",";
      csv << result.embedding_labels[static_cast<std::size_t>(i)] << "\n";
    }
  }
  std::cout << summary.dump() << std::endl;
}

void run_train_command(const TrainOptions& o) {
  run_as_rank([&](MpiSession* mpi) { run_train(o, mpi); });
}

void setup_train_commands(CLI::App& root) {
  auto opts = std::make_shared<TrainOptions>();
  auto* cmd = root.add_subcommand(
      "train", "Train a deep PNN with local PIB objectives (supervised or self-supervised)");
  cmd->add_option("--config", opts->config, "JSON config (configs/mnist_memristor_mlp.json, ...)");
  cmd->add_option("--set", opts->sets, "Override a config key: key.path=value (repeatable)");
  cmd->add_option("--seed", opts->seed, "Seed (overrides the config's)");
  cmd->add_option("--out", opts->out, "Run directory (default runs/<config>-seed<S>)");
  cmd->add_option("--resume", opts->resume,
                  "Continue a decentralised run from its directory (every rank from its checkpoint)");
  cmd->callback([opts] { run_train_command(*opts); });
}

}  // namespace

static const CommandRegistration train_command{"train", &setup_train_commands};

}  // namespace pib::apps
