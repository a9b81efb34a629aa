#include "train/context.hpp"

#include <algorithm>
#include <cmath>

#include "common/error.hpp"
#include "train/generalisation.hpp"
#include "units/chain.hpp"
#include "units/ideal.hpp"
#include "units/registry.hpp"

namespace pib::train {

using units::IdealUnit;

Context::Context(const TrainConfig& config, const Callbacks& callbacks)
    : cfg(config), callbacks_(callbacks), start_(std::chrono::steady_clock::now()) {
  pib = cfg.pib;  // the objective's settings (PibTerm's x_width is the context's sigma_x)
  data = data::load_dataset(cfg.data);
  const auto& g = cfg.generalisation;
  if (!g.held_out_classes.empty())
    data = without_classes(data, g.held_out_classes, "generalisation.held_out_classes", ood_test);
  n_classes = data.num_classes();
  result.data = data.name + " (" + data.source + "), " + std::to_string(data.train.size()) + " train / " +
                std::to_string(data.test.size()) + " test";
  if (!g.held_out_classes.empty())
    result.data += ", classes " + nlohmann::json(g.held_out_classes).dump() + " held out (" +
                   std::to_string(ood_test.size()) + " out-of-distribution test samples)";
  if (cfg.validation.enabled()) {
    const auto held = static_cast<std::size_t>(
        std::lround(cfg.validation.fraction * static_cast<double>(data.train.size())));
    if (held < static_cast<std::size_t>(n_classes) || held >= data.train.size())
      raise<ConfigError>("validation.fraction: ", cfg.validation.fraction, " holds out ", held, " of ",
                         data.train.size(), " training samples; need one per class and some left");
    Rng split_rng = stream(Stream::split);
    data::Split rest;
    data::stratified_split(data.train, n_classes, held, split_rng, rest, validation);
    data.train = std::move(rest);
    result.data += ", " + std::to_string(held) + " of them held out for unit selection";
  }
  if (g.data_fraction < 1.0) {
    const auto kept =
        static_cast<std::size_t>(std::lround(g.data_fraction * static_cast<double>(data.train.size())));
    if (kept < static_cast<std::size_t>(n_classes))
      raise<ConfigError>("generalisation.data_fraction: ", g.data_fraction, " keeps ", kept, " of ",
                         data.train.size(), " training samples; need at least one per class (", n_classes,
                         ")");
    Rng subset_rng = stream(Stream::generalisation, 0);
    data = data::with_train_subset(data, kept, subset_rng);
    result.data += ", trained on " + std::to_string(kept) + " of them (data_fraction " +
                   nlohmann::json(g.data_fraction).dump() + ")";
  }
  x_mean = column_mean(data.train.features);
  unit_configs = units::resolve_chain(cfg.units, data.num_features());
  Rng rng = stream(Stream::calibration);
  const std::size_t n = data.train.size();
  auto order = data::shuffled_indices(n, rng);
  order.resize(std::min(n, cfg.calibration_samples));
  calibration_rows = order;
  sigma_x = estimate_sigma_x(rng);
}

Chain Context::make_chain(bool ideal) const {
  Chain c;
  if (ideal) {
    for (std::size_t l = 0; l < unit_configs.size(); ++l)
      c.units.push_back(std::make_unique<IdealUnit>(unit_configs[l], derive_seed(cfg.seed, Stream::unit, l),
                                                    "units[" + std::to_string(l) + "]"));
  } else {
    c.units = units::build_chain(unit_configs, cfg.seed);
  }
  for (const auto& u : c.units)
    c.norms.push_back(InputNorm::zero(u->input_dim()));
  return c;
}

std::unique_ptr<units::Unit> Context::make_unit(std::size_t l) const {
  PIB_EXPECTS(l < unit_configs.size(), "unit ", l, " of a chain of ", unit_configs.size());
  try {
    return units::make_unit(unit_configs[l], derive_seed(cfg.seed, Stream::unit, l));
  } catch (const ConfigError& e) {
    raise<ConfigError>("units[", l, "]: ", e.what());
  }
}

double Context::estimate_sigma_x(Rng& rng) const {
  const std::size_t n = data.train.size();
  const std::size_t bs = std::min<std::size_t>(n, static_cast<std::size_t>(cfg.batch_size));
  const auto order = data::shuffled_indices(n, rng);
  double sum = 0;
  int count = 0;
  Matrix xb(static_cast<Eigen::Index>(bs), data.num_features());
  for (std::size_t start = 0; start + bs <= n && count < 10; start += bs, ++count) {
    for (std::size_t i = 0; i < bs; ++i)
      xb.row(static_cast<Eigen::Index>(i)) =
          data.train.features.row(static_cast<Eigen::Index>(order[start + i])) - x_mean;
    sum += cfg.pib.x_width.select(xb);
  }
  return sum / std::max(count, 1);
}

InputNorm Context::input_norm(const Matrix& input, std::size_t l) const {
  InputNorm norm{cfg.center_inputs ? column_mean(input) : Eigen::RowVectorXd::Zero(input.cols()), {}};
  if (cfg.standardize_inputs && l > 0) {
    const Eigen::RowVectorXd sd =
        ((input.rowwise() - norm.mean).array().square().colwise().mean()).sqrt().matrix();
    norm.gain = sd.unaryExpr([](double s) { return s > 1e-12 ? 1.0 / s : 1.0; });
  }
  return norm;
}

Matrix Context::measure_split(units::Unit& unit, const InputNorm& norm, const Matrix& input, Rng& rng,
                              bool responses) const {
  Matrix out;
  units::Measurement m;
  const Eigen::Index n = input.rows(), chunk = static_cast<Eigen::Index>(cfg.eval_batch);
  for (Eigen::Index start = 0; start < n; start += chunk) {
    const Eigen::Index rows = std::min(chunk, n - start);
    unit.measure(normalised(input.middleRows(start, rows), norm), m, rng);
    const Matrix& src = responses ? m.response : m.output;
    if (out.size() == 0) out.resize(n, src.cols());
    out.middleRows(start, rows) = src;
  }
  return out;
}

Matrix Context::calibration_inputs(const Matrix& input) const {
  Matrix rows(static_cast<Eigen::Index>(calibration_rows.size()), input.cols());
  for (std::size_t i = 0; i < calibration_rows.size(); ++i)
    rows.row(static_cast<Eigen::Index>(i)) = input.row(static_cast<Eigen::Index>(calibration_rows[i]));
  return rows;
}

void Context::calibrate_chain(Chain& chain, Matrix input, Rng& rng) const {
  units::Measurement m;
  for (std::size_t l = 0; l < chain.units.size(); ++l) {
    chain.norms[l] = input_norm(input, l);
    const Matrix c = normalised(input, chain.norms[l]);
    chain.units[l]->calibrate(c, rng);
    chain.units[l]->measure(c, m, rng);
    input = std::move(m.output);
  }
}

void Context::calibrate(units::Unit& unit, const InputNorm& norm, const Matrix& input, Rng& rng) const {
  unit.calibrate(normalised(calibration_inputs(input), norm), rng);
}

double Context::fit_readout(const Matrix& train, const Matrix& test, Rng& rng, SoftmaxReadout* keep) const {
  SoftmaxReadout r;
  r.fit(train, data.train.labels, n_classes, cfg.readout, rng);
  const double acc = r.accuracy(test, data.test.labels);
  if (keep) *keep = std::move(r);
  return acc;
}

bottleneck::Terms Context::pib_step(UnitTrainer& t, const Matrix& xb, const std::vector<int>& labels,
                                    double lr_scale, Rng& rng) const {
  const auto bt =
      bottleneck::BatchTargets::supervised(xb, sigma_x, labels, n_classes, pib.alpha, pib.estimator);
  t.unit.measure(t.input, t.m, rng);
  t.dz.resize(t.m.output.rows(), t.m.output.cols());
  const auto terms = bottleneck::pib_loss(bt, t.m.output, pib, t.ws, t.dz);
  t.unit.gradient(t.m, t.dz, t.grad);
  t.adam.step(t.params, t.grad, lr_scale);
  t.before_deploy = rng;
  t.unit.deploy(t.params, rng);
  return terms;
}

double Context::lr_scale(long step, long total) const {
  return lr_scale(step, total, cfg.optimizer);
}

double Context::lr_scale(long step, long total, const AdamConfig& o) {
  return o.lr_scale(step, total);
}

double Context::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Context::record(nlohmann::json j) {
  if (!callbacks_.on_record) return;
  j["wall_s"] = elapsed();
  std::lock_guard lock(callback_mutex_);
  callbacks_.on_record(j);
}

void Context::progress(Progress p) {
  if (!callbacks_.on_progress) return;
  p.elapsed_s = elapsed();
  std::lock_guard lock(callback_mutex_);
  callbacks_.on_progress(p);
}

}  // namespace pib::train
