#pragma once
// How a command file joins the `pib` program: each apps/cmd_<name>.cpp defines a setup function that adds its
// subcommand(s) to the root CLI11 app, and registers it with one line at namespace scope:
//
//   static const pib::apps::CommandRegistration env_command{"env", &setup_env_commands};
//
// (named after the command: the unity build compiles several command files as one)
//
// Commands run inside main's handler: a pib::Error thrown by a command becomes "pib: error: <message>" on
// stderr and exit code 2. Commands print results to stdout (JSON where a program will read them) and
// progress to stderr.

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace pib::apps {

using CommandSetup = void (*)(CLI::App& root);

struct CommandRegistration {
  CommandRegistration(std::string name, CommandSetup setup);
};

struct RegisteredCommand {
  std::string name;
  CommandSetup setup;
};

// Every registered command, sorted by name.
std::vector<RegisteredCommand> registered_commands();

}  // namespace pib::apps
