#pragma once
// One entry point for experiments and the CLI: a dataset by name, from a config struct (DESIGN.md 5).
//
// Config keys (object "data" in an experiment config; all optional):
//   name             "mnist" | "fashion-mnist" | "mnist1d"             (default "mnist1d")
//   path             directory to read from; "" = the default search of loaders.hpp
//   normalisation    "none" | "global" | "per_feature", fitted on train only (default "none")
//   train_subset     keep a stratified subset of this many training samples; 0 = all
//   subset_seed      seed of that subset (pib::Rng)
//   test_count       MNIST only: digits held out for test (default 2000 of 10,000)
//   split_seed       MNIST only: seed of the stratified train/test split (default 0)
//   mnist1d          MNIST-1D generation parameters (Mnist1dConfig keys; reference defaults)

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.hpp"
#include "data/mnist1d.hpp"

namespace pib::data {

struct DatasetConfig {
  std::string name = "mnist1d";
  std::string path;
  NormalisationKind normalisation = NormalisationKind::none;
  std::size_t train_subset = 0;
  std::uint64_t subset_seed = 0;
  std::size_t test_count = 2000;
  std::uint64_t split_seed = 0;
  Mnist1dConfig mnist1d;

  static DatasetConfig from_json(const nlohmann::json& json, const std::string& path = "data");
  nlohmann::json to_json() const;
  void validate() const;  // ConfigError for an unknown name
};

// "fashion-mnist", "mnist", "mnist1d".
std::vector<std::string> dataset_names();

// Loads (or generates) the dataset, then takes the train subset and normalises as configured.
Dataset load_dataset(const DatasetConfig& config);

}  // namespace pib::data
