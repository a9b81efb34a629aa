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
  struct Family {
    std::string usage;
    FamilyFactory factory;
  };
  std::map<std::string, Family> families;  // by prefix

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
  FamilyFactory family;
  {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    if (const auto it = r.factories.find(id); it != r.factories.end()) {
      factory = it->second;
    } else {
      std::size_t longest = 0;
      for (const auto& [prefix, f] : r.families)
        if (id.starts_with(prefix) && prefix.size() > longest) {
          longest = prefix.size();
          family = f.factory;
        }
      if (!family) {
        std::ostringstream known;
        for (const auto& [name, unused] : r.factories)
          known << (known.tellp() > 0 ? ", " : "") << name;
        for (const auto& [prefix, f] : r.families)
          known << ", " << f.usage;
        raise<UnknownEnvironmentError>("unknown environment id '", id, "': known ids are ", known.str());
      }
    }
  }
  return factory ? factory() : family(id);
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

void register_family(const std::string& prefix, const std::string& usage, FamilyFactory factory) {
  if (prefix.empty()) raise<InvalidArgument>("register_family: the prefix is empty");
  if (!factory) raise<InvalidArgument>("register_family: the factory for '", prefix, "' is empty");
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (!r.families.emplace(prefix, Registry::Family{usage, std::move(factory)}).second)
    raise<InvalidArgument>("register_family: the prefix '", prefix, "' is already registered");
}

}  // namespace pib::envs
