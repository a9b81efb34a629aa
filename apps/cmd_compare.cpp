// `pib compare`: the training methods side by side on the same simulated devices through the paper's
// generalisation tests (train/compare.hpp).

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "apps/command.hpp"
#include "apps/train_progress.hpp"
#include "common/run_dir.hpp"
#include "train/compare.hpp"

namespace pib::apps {
namespace {

struct CompareOptions {
  std::string config;
  std::vector<std::string> sets;
  std::optional<std::uint64_t> seed;
  std::string out;
};

void run_compare_command(const CompareOptions& o) {
  if (o.config.empty()) raise<ConfigError>("--config: required");
  auto j = load_config(o.config, o.sets);
  if (o.seed) j["seed"] = *o.seed;
  const auto cfg = train::CompareConfig::from_json(j);
  cfg.train.validate();
  const auto stem = std::filesystem::path(o.config).stem().string();
  // The run directory is made at the first record, once the data are loaded and the unit configs checked.
  std::optional<RunDir> run_dir;
  std::ofstream metrics;
  const auto open_run_dir = [&] {
    if (run_dir) return;
    run_dir.emplace(make_run_dir(o.out, stem, cfg.train.seed));
    write_json_file(run_dir->path / "config.json", cfg.to_json());
    std::string methods;
    for (const auto& m : cfg.methods)
      methods += (methods.empty() ? "" : ", ") + m;
    std::fprintf(stderr, "pib compare: %s, methods %s on simulated devices, run directory %s\n", stem.c_str(),
                 methods.c_str(), run_dir->path.string().c_str());
    metrics.open(run_dir->path / "metrics.jsonl", std::ios::trunc);
    if (!metrics) raise<FileError>((run_dir->path / "metrics.jsonl").string(), ": cannot open for writing");
  };
  train::Callbacks cb;
  cb.on_record = [&](const nlohmann::json& r) {
    open_run_dir();
    metrics << r.dump() << "\n";
    metrics.flush();
  };
  cb.on_progress = [](const train::Progress& p) { progress_line(format_progress(p)); };
  const auto result = train::run_compare(cfg, cb);
  open_run_dir();
  progress_line("pib compare: done", true);
  auto summary = result.to_json();
  summary["config"] = o.config;
  summary["seed"] = cfg.train.seed;
  write_json_file(run_dir->path / "summary.json", summary);
  write_file_atomically(run_dir->path / "table.md", result.markdown());
  std::fprintf(stderr, "%s", result.markdown().c_str());
  std::cout << summary.dump() << std::endl;
}

void setup_compare_commands(CLI::App& root) {
  auto opts = std::make_shared<CompareOptions>();
  auto* cmd = root.add_subcommand(
      "compare", "Compare training methods (PIB, backprop deployed, DFA) on the same simulated devices");
  cmd->add_option("--config", opts->config, "JSON config (configs/compare_mnist1d_memristor.json, ...)");
  cmd->add_option("--set", opts->sets, "Override a config key: key.path=value (repeatable)");
  cmd->add_option("--seed", opts->seed, "Seed (overrides the config's)");
  cmd->add_option("--out", opts->out, "Run directory (default runs/<config>-seed<S>)");
  cmd->callback([opts] { run_compare_command(*opts); });
}

}  // namespace

static const CommandRegistration compare_command{"compare", &setup_compare_commands};

}  // namespace pib::apps
