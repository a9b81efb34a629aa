#pragma once
// Adam (Kingma & Ba 2015, Algorithm 1) on a flat parameter vector, with optional decoupled weight decay
// (AdamW, Loshchilov & Hutter 2019), and the optimiser settings every config shares. The state is plain data
// (m, v, t) so checkpoints can store it. The one implementation the agent and the trainers share. Not
// thread-safe: one state per parameter vector.

#include <cmath>
#include <cstdint>
#include <string>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "common/config.hpp"
#include "common/error.hpp"

namespace pib {

// The "optimizer" object of every config (pib rl, pib train and its backprop baseline):
//   {"lr": 1e-3, "lr_final": 0, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0,
//    "grad_clip_norm": 0}
// lr decays linearly from lr to lr_final over the owner's horizon (pib rl: lr_decay_steps environment steps;
// pib train: each unit's training); lr_final 0 keeps lr constant. grad_clip_norm > 0 rescales a gradient
// whose norm exceeds it (the owner says over which parameters); 0 turns clipping off.
struct AdamConfig {
  double lr = 1e-3;
  double lr_final = 0.0;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // decoupled: p <- p - lr wd p
  double grad_clip_norm = 0.0;

  // Reads `json` (null: the defaults in `defaults`); ConfigError naming the key for unknown or bad values.
  static AdamConfig from_json(const nlohmann::json& json, const std::string& path) {
    return from_json(json, path, AdamConfig{});
  }
  static AdamConfig from_json(const nlohmann::json& json, const std::string& path, AdamConfig defaults) {
    ConfigReader r(json, path);
    r.get("lr", defaults.lr);
    r.get("lr_final", defaults.lr_final);
    r.get("beta1", defaults.beta1);
    r.get("beta2", defaults.beta2);
    r.get("eps", defaults.eps);
    r.get("weight_decay", defaults.weight_decay);
    r.get("grad_clip_norm", defaults.grad_clip_norm);
    r.finish();
    defaults.validate(path);
    return defaults;
  }
  nlohmann::json to_json() const {
    return {{"lr", lr},
            {"lr_final", lr_final},
            {"beta1", beta1},
            {"beta2", beta2},
            {"eps", eps},
            {"weight_decay", weight_decay},
            {"grad_clip_norm", grad_clip_norm}};
  }
  void validate(const std::string& path) const {
    const std::string dot = path.empty() ? "" : path + ".";
    require_config(lr > 0 && std::isfinite(lr), dot + "lr", lr, "> 0");
    require_config(lr_final == 0.0 || (lr_final > 0 && lr_final <= lr), dot + "lr_final", lr_final,
                   "0 (constant lr) or in (0, lr]");
    require_config(beta1 >= 0 && beta1 < 1, dot + "beta1", beta1, "in [0, 1)");
    require_config(beta2 >= 0 && beta2 < 1, dot + "beta2", beta2, "in [0, 1)");
    require_config(eps > 0, dot + "eps", eps, "> 0");
    require_config(weight_decay >= 0, dot + "weight_decay", weight_decay, ">= 0");
    require_config(grad_clip_norm >= 0, dot + "grad_clip_norm", grad_clip_norm, ">= 0 (0: off)");
  }

  // The learning-rate factor of step `step` of `total`: linear from 1 to lr_final / lr (1 throughout when
  // lr_final is 0 or total <= 1).
  double lr_scale(long step, long total) const {
    if (total <= 1) return 1.0;
    const double final_fraction = lr_final > 0.0 ? lr_final / lr : 1.0;
    return 1.0 - (1.0 - final_fraction) * static_cast<double>(step) / static_cast<double>(total - 1);
  }

  // Rescales `grad` to grad_clip_norm when its norm is larger (no-op when clipping is off).
  void clip(Eigen::Ref<Eigen::VectorXd> grad) const {
    if (grad_clip_norm <= 0.0) return;
    const double norm = grad.norm();
    if (norm > grad_clip_norm) grad *= grad_clip_norm / norm;
  }
};

struct AdamState {
  Eigen::VectorXd m;  // first-moment estimate
  Eigen::VectorXd v;  // second-moment estimate
  std::int64_t t = 0;

  void reset(Eigen::Index n) {
    m = Eigen::VectorXd::Zero(n);
    v = Eigen::VectorXd::Zero(n);
    t = 0;
  }

  // p <- p (1 - lr weight_decay) - lr mhat / (sqrt(vhat) + eps).
  void step(Eigen::Ref<Eigen::VectorXd> p, const Eigen::Ref<const Eigen::VectorXd>& grad, double lr,
            double beta1, double beta2, double eps, double weight_decay = 0.0) {
    PIB_EXPECTS(p.size() == m.size() && grad.size() == m.size(), "Adam step: sizes ", p.size(), "/",
                grad.size(), ", expected ", m.size());
    ++t;
    m = beta1 * m + (1.0 - beta1) * grad;
    v = beta2 * v + (1.0 - beta2) * grad.cwiseAbs2();
    const double c1 = 1.0 - std::pow(beta1, static_cast<double>(t));
    const double c2 = 1.0 - std::pow(beta2, static_cast<double>(t));
    if (weight_decay > 0.0) p *= 1.0 - lr * weight_decay;
    p.array() -= lr * (m.array() / c1) / ((v.array() / c2).sqrt() + eps);
  }
  // The same with a config's betas, eps and decay at learning rate `lr`.
  void step(Eigen::Ref<Eigen::VectorXd> p, const Eigen::Ref<const Eigen::VectorXd>& grad, double lr,
            const AdamConfig& c) {
    step(p, grad, lr, c.beta1, c.beta2, c.eps, c.weight_decay);
  }
};

}  // namespace pib
