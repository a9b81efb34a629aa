#include "envs/environment.hpp"

namespace pib::envs {

EnvState Environment::get_state() const {
  raise<StateError>(id(), " does not expose its internal state");
}

void Environment::set_state(std::span<const double> /*values*/, int /*elapsed_steps*/) {
  raise<StateError>(id(), " cannot restore an internal state");
}

}  // namespace pib::envs
