// The `pib` command-line program: parses, loads config, calls the libraries (DESIGN.md section 6).

#include <algorithm>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "apps/command.hpp"
#include "apps/interrupt.hpp"
#include "common/error.hpp"
#include "envs/registry.hpp"
#ifdef PIB_WITH_PYTHON
#include "python/bridge.hpp"
#endif

namespace pib::apps {
namespace {
std::vector<RegisteredCommand>& registry() {
  static std::vector<RegisteredCommand> commands;
  return commands;
}
}  // namespace

CommandRegistration::CommandRegistration(std::string name, CommandSetup setup) {
  registry().push_back({std::move(name), setup});
}

std::vector<RegisteredCommand> registered_commands() {
  auto commands = registry();
  std::sort(commands.begin(), commands.end(),
            [](const RegisteredCommand& a, const RegisteredCommand& b) { return a.name < b.name; });
  return commands;
}

// Environments written in Python: `--set env=python:MODULE:FACTORY` (the interpreter starts on first use).
void register_python_environments() {
#ifdef PIB_WITH_PYTHON
  pib::python::register_family();
#else
  pib::envs::register_family("python:", "python:MODULE:FACTORY (needs pib built with Python)", [](const std::string& id)
                                 -> std::unique_ptr<pib::envs::Environment> {
    pib::raise<pib::ConfigError>("env: '", id, "' is a Python environment, but this pib was built without Python: ",
                                 "install python3-dev and pybind11-dev (tools/install-deps.sh) and rebuild");
  });
#endif
}

}  // namespace pib::apps

int main(int argc, char** argv) {
  pib::apps::register_python_environments();
  CLI::App app{"pib: deep physical neural networks trained with the physical information bottleneck"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "pib 0.1.0");
  for (const auto& command : pib::apps::registered_commands()) command.setup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const pib::apps::Interrupted& e) {
    std::cerr << "pib: " << e.what() << "\n";
    return 130;
  } catch (const pib::Error& e) {
    std::cerr << "pib: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "pib: internal error: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
