#pragma once
// The environment registry: create an environment by id, list the ids, add your own.
//
// The built-in ids (CartPole-v1, Acrobot-v1, MountainCar-v0) are listed in envs/registry.cpp, one line each.
// Code outside the library adds an environment at start-up with one call:
//
//   pib::envs::register_environment("MyEnv-v0", [] {
//     return std::make_unique<pib::envs::NativeEnvironment<MyModel>>("MyEnv-v0");
//   });
//
// A family of ids shares one prefix and one factory that reads the rest of the id, e.g. the Python bridge's
// "python:module:factory" (python/bridge.hpp). `make` looks up exact ids first, then the longest prefix.
//
// The registry is a process-wide table guarded by a mutex: registering and creating may happen from any
// thread, but the environments created are single-threaded objects (environment.hpp).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "envs/environment.hpp"

namespace pib::envs {

using EnvironmentFactory = std::function<std::unique_ptr<Environment>()>;
using FamilyFactory = std::function<std::unique_ptr<Environment>(const std::string& id)>;

// A new environment of the registered id. Throws UnknownEnvironmentError (listing the known ids).
std::unique_ptr<Environment> make(const std::string& id);

// Every registered id, sorted (families are not listed; an unknown id's error names them).
std::vector<std::string> registered_ids();

// Registers `factory` under `id`. Throws InvalidArgument when the id is empty or already taken, or the
// factory is empty.
void register_environment(const std::string& id, EnvironmentFactory factory);

// Registers `factory` for every id that starts with `prefix`; `usage` describes the id's form for errors
// (e.g. "python:MODULE:FACTORY"). Throws InvalidArgument when the prefix is empty or taken, or the factory is
// empty.
void register_family(const std::string& prefix, const std::string& usage, FamilyFactory factory);

}  // namespace pib::envs
