// `pib device characterize --config UNIT.json [--seed S] [--reads N]`: program a unit, read it repeatedly and
// print JSON statistics (read_noise_rel; crossbars: program_error_stochastic_uS_rms and
// program_error_systematic_uS_rms apart, each next to its configured size; levels, saturation fractions,
// timing, faults). The keys of each kind are documented with its characterizer (units/characterize.hpp).
// Thin: parsing and printing only; the work is in units/characterize.

#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "apps/command.hpp"
#include "common/error.hpp"
#include "units/characterize.hpp"

namespace {

struct CharacterizeOptions {
  std::string config_path;
  std::uint64_t seed = 0;
  int reads = 64;
};

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) pib::raise<pib::FileError>(path, ": cannot open the unit config");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) pib::raise<pib::FileError>(path, ": not valid JSON");
  return j;
}

void setup_device_commands(CLI::App& root) {
  CLI::App* device = root.add_subcommand("device", "Physical units: characterise a simulated device");
  device->require_subcommand(1);
  auto options = std::make_shared<CharacterizeOptions>();
  CLI::App* characterize = device->add_subcommand(
      "characterize", "Program a unit, read it repeatedly, print its statistics as JSON");
  characterize->add_option("--config", options->config_path, "Unit config JSON (with \"kind\")")->required();
  characterize->add_option("--seed", options->seed, "Seed of the unit and of the characterisation");
  characterize->add_option("--reads", options->reads, "Repeated reads at a fixed input (>= 2)");
  characterize->callback([options] {
    const auto result =
        pib::units::characterize_unit(read_json_file(options->config_path), options->seed, options->reads);
    std::cout << result.to_json().dump(2) << "\n";
  });
}

const pib::apps::CommandRegistration device_command{"device", &setup_device_commands};

}  // namespace
