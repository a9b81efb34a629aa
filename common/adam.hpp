#pragma once
// Adam (Kingma & Ba 2015, Algorithm 1) on a flat parameter vector, with optional decoupled weight decay
// (AdamW, Loshchilov & Hutter 2019). The state is plain data (m, v, t) so checkpoints can store it. The
// one implementation the agent and the trainers share. Not thread-safe: one state per parameter vector.

#include <cmath>
#include <cstdint>

#include <Eigen/Core>

#include "common/error.hpp"

namespace pib {

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
};

}  // namespace pib
