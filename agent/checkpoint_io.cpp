#include "agent/checkpoint_io.hpp"

namespace pib::agent {

void SaveArchive::operator()(replay::Transition& t) {
  w_.bytes(t.obs.data(), sizeof t.obs);
  w_.bytes(t.next_obs.data(), sizeof t.next_obs);
  w_.value(t.obs_dim);
  w_.value(t.action);
  w_.value(t.reward);
  w_.value(t.discount);
  w_.value(t.terminated);
  w_.value(t.truncated);
}

void LoadArchive::operator()(replay::Transition& t) {
  r_.bytes(t.obs.data(), sizeof t.obs);
  r_.bytes(t.next_obs.data(), sizeof t.next_obs);
  t.obs_dim = r_.value<std::uint32_t>();
  if (t.obs_dim > replay::Transition::kMaxObsDim) fail("a transition of ", t.obs_dim, " observation values");
  t.action = r_.value<int>();
  t.reward = r_.value<double>();
  t.discount = r_.value<double>();
  t.terminated = r_.value<bool>();
  t.truncated = r_.value<bool>();
}

}  // namespace pib::agent
