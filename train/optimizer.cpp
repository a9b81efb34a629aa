#include "train/optimizer.hpp"

#include <cmath>

#include "common/config.hpp"
#include "common/error.hpp"

namespace pib::train {

AdamConfig AdamConfig::from_json(const nlohmann::json& json, const std::string& path) {
  AdamConfig c;
  ConfigReader r(json, path);
  r.get("lr", c.lr);
  r.get("beta1", c.beta1);
  r.get("beta2", c.beta2);
  r.get("eps", c.eps);
  r.get("weight_decay", c.weight_decay);
  r.finish();
  c.validate(path);
  return c;
}

nlohmann::json AdamConfig::to_json() const {
  return {{"lr", lr}, {"beta1", beta1}, {"beta2", beta2}, {"eps", eps}, {"weight_decay", weight_decay}};
}

void AdamConfig::validate(const std::string& path) const {
  require_config(lr > 0 && std::isfinite(lr), path + ".lr", lr, "> 0");
  require_config(beta1 >= 0 && beta1 < 1, path + ".beta1", beta1, "in [0, 1)");
  require_config(beta2 >= 0 && beta2 < 1, path + ".beta2", beta2, "in [0, 1)");
  require_config(eps > 0, path + ".eps", eps, "> 0");
  require_config(weight_decay >= 0, path + ".weight_decay", weight_decay, ">= 0");
}

Adam::Adam(Eigen::Index size, AdamConfig config) : config_(config) { state_.reset(size); }

void Adam::step(Eigen::Ref<Eigen::VectorXd> p, const Eigen::Ref<const Eigen::VectorXd>& grad,
                double lr_scale) {
  state_.step(p, grad, lr_scale * config_.lr, config_.beta1, config_.beta2, config_.eps, config_.weight_decay);
}

}  // namespace pib::train
