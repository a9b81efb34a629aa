#include "agent/observation.hpp"

#include <algorithm>
#include <cmath>

#include "common/error.hpp"

namespace pib::agent {

ObservationScale::ObservationScale(const std::vector<double>& configured, const envs::Environment& env,
                                   const units::Matrix& states) {
  const auto& space = env.observation_space();
  const auto dim = env.observation_dim();
  const auto id = env.id();
  if (!configured.empty()) {
    if (configured.size() != dim)
      raise<ConfigError>("obs_scale: ", configured.size(), " values, but ", id, " has ", dim,
                         " observations: give ", dim,
                         " values, or leave obs_scale out to scale by the bounds");
    scale_ = configured;
    return;
  }
  PIB_EXPECTS(static_cast<std::size_t>(states.cols()) == dim, "calibration states of ", states.cols(),
              " values for ", dim, " observations");
  for (std::size_t i = 0; i < dim; ++i) {
    const double bound = std::max(std::abs(double(space.low[i])), std::abs(double(space.high[i])));
    const double seen = states.rows() > 0 ? states.col(static_cast<Eigen::Index>(i)).cwiseAbs().maxCoeff() : 0.0;
    double s = std::min(bound, kStatesMargin * seen);
    if (!(s > 0.0) || !std::isfinite(s)) s = bound > 0.0 && std::isfinite(bound) ? bound : 1.0;
    scale_.push_back(s);
  }
}

void ObservationScale::apply(const Eigen::Ref<const units::Matrix>& raw, units::Matrix& out) const {
  PIB_EXPECTS(static_cast<std::size_t>(raw.cols()) == scale_.size(), "observations of ", raw.cols(),
              " values, the scale has ", scale_.size());
  out.resize(raw.rows(), raw.cols());
  for (Eigen::Index j = 0; j < raw.cols(); ++j)
    out.col(j) = raw.col(j) / scale_[static_cast<std::size_t>(j)];
}

void ObservationScale::apply(std::span<const float> obs, units::Matrix& out) const {
  PIB_EXPECTS(obs.size() == scale_.size(), "an observation of ", obs.size(), " values, the scale has ",
              scale_.size());
  out.resize(1, static_cast<Eigen::Index>(obs.size()));
  for (std::size_t k = 0; k < obs.size(); ++k)
    out(0, static_cast<Eigen::Index>(k)) = obs[k] / scale_[k];
}

}  // namespace pib::agent
