// `pib train`: supervised and self-supervised PIB training of deep PNNs on simulated devices, with the
// backprop-in-silico baseline and the fault experiment (train/trainer.hpp; DESIGN.md 3.6, 7).

#include <cstdio>
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
#include "apps/run_dir.hpp"
#include "train/trainer.hpp"

namespace pib::apps {
namespace {

struct TrainOptions {
  std::string config;
  std::vector<std::string> sets;
  std::optional<std::uint64_t> seed;
  std::string out;
};

std::string format_progress(const train::Progress& p) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(3);
  s << p.stage;
  if (p.unit >= 0) s << " unit " << p.unit;
  s << (p.stage == "ssl" ? " iteration " : " epoch ") << p.epoch << "/" << p.epochs;
  if (p.steps > 0) s << " step " << p.step << "/" << p.steps;
  if (p.i_xz != 0 || p.i_yz != 0)
    s << "  I(X;Z) " << p.i_xz << "  " << (p.stage == "ssl" ? "I(Z1;Z2) " : "I(Y;Z) ") << p.i_yz;
  if (p.accuracy) s << "  accuracy " << *p.accuracy;
  s.precision(0);
  s << "  elapsed " << p.elapsed_s << " s";
  return s.str();
}

void run_train(const TrainOptions& o) {
  auto j = load_config(o.config, o.sets);
  if (o.seed) j["seed"] = *o.seed;
  const auto cfg = train::TrainConfig::from_json(j);
  const auto stem = std::filesystem::path(o.config).stem().string();
  // The run directory is made at the first record, after the data are loaded and every unit config is
  // checked against them, so a config error leaves no directory behind.
  std::optional<RunDir> run_dir;
  std::filesystem::path dir;
  std::ofstream metrics;
  const auto open_run_dir = [&] {
    if (run_dir) return;
    run_dir.emplace(make_run_dir(o.out, stem, cfg.seed));
    dir = run_dir->path;
    write_json_file(dir / "config.json", cfg.to_json());
    metrics.open(dir / "metrics.jsonl", std::ios::trunc);
    if (!metrics) raise<FileError>((dir / "metrics.jsonl").string(), ": cannot open for writing");
    std::fprintf(stderr, "pib train: %s, %zu unit(s) on simulated devices, run directory %s\n", stem.c_str(),
                 cfg.units.size(), dir.string().c_str());
  };
  train::Callbacks cb;
  cb.on_record = [&](const nlohmann::json& r) {  // the trainer serialises its callbacks
    open_run_dir();
    metrics << r.dump() << "\n";
    metrics.flush();
  };
  cb.on_progress = [](const train::Progress& p) { progress_line(format_progress(p)); };
  const auto result = train::run_training(cfg, cb);
  open_run_dir();
  progress_line("pib train: done", true);
  auto summary = result.to_json();
  summary["config"] = o.config;
  summary["seed"] = cfg.seed;
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

void setup_train_commands(CLI::App& root) {
  auto opts = std::make_shared<TrainOptions>();
  auto* cmd = root.add_subcommand(
      "train", "Train a deep PNN with local PIB objectives (supervised or self-supervised)");
  cmd->add_option("--config", opts->config, "JSON config (configs/mnist_memristor_mlp.json, ...)")
      ->required();
  cmd->add_option("--set", opts->sets, "Override a config key: key.path=value (repeatable)");
  cmd->add_option("--seed", opts->seed, "Seed (overrides the config's)");
  cmd->add_option("--out", opts->out, "Run directory (default runs/<config>-seed<S>)");
  cmd->callback([opts] { run_train(*opts); });
}

}  // namespace

static const CommandRegistration registration{"train", &setup_train_commands};

}  // namespace pib::apps
