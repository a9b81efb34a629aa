#pragma once
// Adam (Kingma & Ba 2015, Algorithm 1) on a flat parameter vector, with its state kept for checkpoints.

#include <cmath>
#include <cstdint>

#include <Eigen/Core>

namespace pib::agent {

struct Adam {
  Eigen::VectorXd m;  // first-moment estimate
  Eigen::VectorXd v;  // second-moment estimate
  std::int64_t t = 0;

  void reset(Eigen::Index n) {
    m = Eigen::VectorXd::Zero(n);
    v = Eigen::VectorXd::Zero(n);
    t = 0;
  }

  // params -= lr * mhat / (sqrt(vhat) + eps).
  void step(Eigen::Ref<Eigen::VectorXd> params, const Eigen::Ref<const Eigen::VectorXd>& grad, double lr,
            double beta1, double beta2, double eps) {
    ++t;
    m = beta1 * m + (1.0 - beta1) * grad;
    v = beta2 * v + (1.0 - beta2) * grad.cwiseAbs2();
    const double c1 = 1.0 - std::pow(beta1, static_cast<double>(t));
    const double c2 = 1.0 - std::pow(beta2, static_cast<double>(t));
    params.array() -= lr * (m.array() / c1) / ((v.array() / c2).sqrt() + eps);
  }
};

// Linear interpolation from `start` to `end` over `steps` (constant `end` afterwards).
inline double linear_schedule(double start, double end, std::int64_t steps, std::int64_t t) {
  if (steps <= 0 || t >= steps) return end;
  return start + (end - start) * static_cast<double>(t) / static_cast<double>(steps);
}

}  // namespace pib::agent
