#include "envs/registry.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>

#include "envs/acrobot.hpp"
#include "envs/cartpole.hpp"
#include "envs/mountain_car.hpp"
#include "envs/native.hpp"

namespace pib::envs {
namespace {

template <typename Model>
EnvironmentFactory native(const std::string& id) {
  return [id] { return std::make_unique<NativeEnvironment<Model>>(id); };
}

struct Registry {
  std::mutex mutex;
  std::map<std::string, EnvironmentFactory> factories;

  Registry() {
    // The built-in environments: one line each.
    factories.emplace("CartPole-v1", native<CartPole>("CartPole-v1"));
    factories.emplace("Acrobot-v1", native<Acrobot>("Acrobot-v1"));
    factories.emplace("MountainCar-v0", native<MountainCar>("MountainCar-v0"));
  }
};

Registry& registry() {
  static Registry instance;
  return instance;
}

}  // namespace

std::unique_ptr<Environment> make(const std::string& id) {
  EnvironmentFactory factory;
  {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    const auto it = r.factories.find(id);
    if (it == r.factories.end()) {
      std::ostringstream known;
      for (const auto& [name, unused] : r.factories)
        known << (known.tellp() > 0 ? ", " : "") << name;
      raise<UnknownEnvironmentError>("unknown environment id '", id, "': known ids are ", known.str());
    }
    factory = it->second;
  }
  return factory();
}

std::vector<std::string> registered_ids() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> ids;
  for (const auto& [name, unused] : r.factories)
    ids.push_back(name);
  return ids;
}

void register_environment(const std::string& id, EnvironmentFactory factory) {
  if (id.empty()) raise<InvalidArgument>("register_environment: the id is empty");
  if (!factory) raise<InvalidArgument>("register_environment: the factory for '", id, "' is empty");
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (!r.factories.emplace(id, std::move(factory)).second)
    raise<InvalidArgument>("register_environment: the id '", id, "' is already registered");
}

}  // namespace pib::envs
