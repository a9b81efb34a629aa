#pragma once
// A small MNIST-1D experiment for the train tests: 1000 generated training samples, one memristor unit, every
// method's settings at a few epochs.

#include <nlohmann/json.hpp>

inline nlohmann::json small_config() {
  return nlohmann::json::parse(R"({
    "seed": 4,
    "data": {"name": "mnist1d", "train_subset": 1000},
    "units": [{"kind": "memristor_dense", "output_dim": 48, "time_scale": 1e9}],
    "batch_size": 100,
    "epochs_per_unit": 3,
    "optimizer": {"lr": 0.003},
    "pib": {"alpha": 2, "beta": 0.01},
    "readout": {"epochs": 30, "lr": 0.02},
    "calibration_samples": 300,
    "backprop": {"epochs": 5},
    "dfa": {"epochs": 5, "optimizer": {"lr": 0.003}},
    "pat": {"epochs": 5, "optimizer": {"lr": 0.003}},
    "pib_dfa": {"epochs": 5, "batch_size": 100, "optimizer": {"lr": 0.003}},
    "phyll": {"epochs": 5, "optimizer": {"lr": 0.003}}
  })");
}
