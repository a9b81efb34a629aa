#include "data/catalog.hpp"

#include <algorithm>

#include "common/config.hpp"
#include "common/error.hpp"
#include "data/loaders.hpp"

namespace pib::data {

std::vector<std::string> dataset_names() {
  return {"fashion-mnist", "mnist", "mnist1d"};
}

DatasetConfig DatasetConfig::from_json(const nlohmann::json& json, const std::string& path) {
  DatasetConfig c;
  ConfigReader r(json, path);
  r.get("name", c.name);
  r.get("path", c.path);
  std::string normalisation = to_string(c.normalisation);
  r.get("normalisation", normalisation);
  c.normalisation = parse_normalisation(normalisation, r.key_path("normalisation"));
  r.get("train_subset", c.train_subset);
  r.get("subset_seed", c.subset_seed);
  r.get("test_count", c.test_count);
  r.get("split_seed", c.split_seed);
  c.mnist1d = Mnist1dConfig::from_json(r.child("mnist1d"), r.key_path("mnist1d"));
  r.finish();
  c.validate();
  return c;
}

nlohmann::json DatasetConfig::to_json() const {
  return {{"name", name},
          {"path", path},
          {"normalisation", to_string(normalisation)},
          {"train_subset", train_subset},
          {"subset_seed", subset_seed},
          {"test_count", test_count},
          {"split_seed", split_seed},
          {"mnist1d", mnist1d.to_json()}};
}

void DatasetConfig::validate() const {
  const auto names = dataset_names();
  require_config(std::find(names.begin(), names.end(), name) != names.end(), "data.name", name,
                 "one of fashion-mnist, mnist, mnist1d");
  mnist1d.validate();
}

Dataset load_dataset(const DatasetConfig& config) {
  config.validate();
  Dataset d;
  if (config.name == "mnist") {
    d = load_mnist(config.path.empty() ? default_mnist_dir() : std::filesystem::path(config.path),
                   config.test_count, config.split_seed);
  } else if (config.name == "fashion-mnist") {
    d = load_fashion_mnist(config.path.empty() ? default_fashion_mnist_dir()
                                               : std::filesystem::path(config.path));
  } else {
    d = make_mnist1d(config.mnist1d);
  }
  if (config.train_subset > 0) {
    require_config(config.train_subset <= d.train.size(), "data.train_subset", config.train_subset,
                   "at most the " + std::to_string(d.train.size()) + " training samples");
    pib::Rng rng(config.subset_seed);
    d = with_train_subset(d, config.train_subset, rng);
  }
  normalise(d, config.normalisation);
  return d;
}

}  // namespace pib::data
