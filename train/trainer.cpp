#include "train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <numeric>

#include <tbb/task_group.h>

#include "bottleneck/objectives.hpp"
#include "common/error.hpp"
#include "data/augment.hpp"
#include "train/ideal.hpp"
#include "units/chain.hpp"
#include "units/memristor.hpp"
#include "units/registry.hpp"

namespace pib::train {

Eigen::RowVectorXd column_mean(const Eigen::Ref<const Matrix>& x) {
  PIB_EXPECTS(x.rows() > 0, "column_mean of an empty matrix");
  return x.colwise().mean();
}

nlohmann::json TrainResult::to_json() const {
  nlohmann::json j;
  auto put = [&j](const char* key, const std::optional<double>& v) {
    if (v) j[key] = *v;
  };
  j["data"] = data;
  j["devices"] = "simulated";
  put("pib_ideal", pib_ideal);
  put("pib_deployed", pib_deployed);
  put("test_accuracy", pib_deployed);
  put("bp_ideal", bp_ideal);
  put("bp_deployed", bp_deployed);
  put("bp_deployed_readout_refit", bp_deployed_readout_refit);
  if (!unit_readout_accuracy.empty()) j["unit_readout_accuracy"] = unit_readout_accuracy;
  if (!unit_readout_accuracy_ideal.empty()) j["unit_readout_accuracy_ideal"] = unit_readout_accuracy_ideal;
  if (!accuracy_by_pib_epochs.empty()) j["accuracy_by_pib_epochs"] = accuracy_by_pib_epochs;
  if (!unit_selected_epoch.empty()) j["unit_selected_epoch"] = unit_selected_epoch;
  if (!unit_validation_accuracy.empty()) j["unit_validation_accuracy"] = unit_validation_accuracy;
  put("raw_readout", raw_readout);
  put("raw_speckle_readout", raw_speckle_readout);
  put("before_fault", before_fault);
  put("after_fault", after_fault);
  put("after_fault_readout_refit", after_fault_readout_refit);
  put("after_recovery", after_recovery);
  if (!probe_accuracy_by_iteration.empty()) {
    nlohmann::json p = nlohmann::json::array();
    for (const auto& [it, acc] : probe_accuracy_by_iteration)
      p.push_back({it, acc});
    j["probe_accuracy_by_iteration"] = p;
  }
  put("probe_accuracy_random_init", probe_accuracy_random_init);
  put("probe_accuracy_raw_pixels", probe_accuracy_raw_pixels);
  j["wall_s"] = wall_s;
  return j;
}

namespace {

using units::Measurement;
using units::Unit;
using Clock = std::chrono::steady_clock;

// A deep PNN as the trainer sees it: units and the centring of each unit's input.
struct Chain {
  std::vector<std::unique_ptr<Unit>> units;
  std::vector<Eigen::RowVectorXd> means;  // subtracted from unit l's input before its DAC
};

// Means of one unit's epoch of objective values.
struct EpochStats {
  double loss = 0, i_xz = 0, i_yz = 0, sigma_z = 0;
  int count = 0;
  void add(const bottleneck::Terms& t) {
    loss += t.loss;
    i_xz += t.i_xz;
    i_yz += t.i_yz;
    sigma_z += t.sigma_z;
    ++count;
  }
  nlohmann::json to_json() const {
    const double c = std::max(count, 1);
    return {{"loss", loss / c}, {"I_xz", i_xz / c}, {"I_yz", i_yz / c}, {"sigma_z", sigma_z / c}};
  }
};

// One unit's training state (owned by one thread at a time).
struct UnitTrainer {
  UnitTrainer(Unit& u, const AdamConfig& opt)
      : unit(u), adam(u.parameter_count(), opt), params(u.parameters()), grad(u.parameter_count()) {}
  Unit& unit;
  Adam adam;
  Eigen::VectorXd params, grad, grad2;
  bottleneck::Workspace ws;
  Measurement m, m2;
  Matrix dz, dz2, input, input2;
};

struct PipelineOut {
  Chain chain;
  std::vector<Matrix> train, test;  // measured outputs of every unit
  SoftmaxReadout readout;           // on the last unit
  std::vector<double> unit_accuracy;
  std::vector<std::vector<double>> accuracy_by_epochs;
  std::vector<int> selected_epoch;          // per unit, with validation
  std::vector<double> validation_accuracy;  // per unit: the selected epoch's held-out score
};

Matrix centred(const Eigen::Ref<const Matrix>& x, const Eigen::RowVectorXd& mean) {
  return x.rowwise() - mean;
}

class Experiment {
 public:
  Experiment(const TrainConfig& cfg, const Callbacks& cb) : cfg_(cfg), cb_(cb), start_(Clock::now()) {
    pib_cfg_.alpha = cfg.pib.alpha;
    pib_cfg_.beta = cfg.pib.beta;
    pib_cfg_.z_width = cfg.pib.z_width;
    pib_cfg_.z_kernel = cfg.pib.z_kernel;
    data_ = data::load_dataset(cfg.data);
    n_classes_ = data_.num_classes();
    result_.data = data_.name + " (" + data_.source + "), " + std::to_string(data_.train.size()) +
                   " train / " + std::to_string(data_.test.size()) + " test";
    if (cfg.validation.enabled()) {
      const auto held = static_cast<std::size_t>(
          std::lround(cfg.validation.fraction * static_cast<double>(data_.train.size())));
      if (held < static_cast<std::size_t>(n_classes_) || held >= data_.train.size())
        raise<ConfigError>("validation.fraction: ", cfg.validation.fraction, " holds out ", held, " of ",
                           data_.train.size(), " training samples; need one per class and some left");
      Rng split_rng = Rng::derive(cfg.seed, Stream::split);
      data::Split rest;
      data::stratified_split(data_.train, n_classes_, held, split_rng, rest, validation_);
      data_.train = std::move(rest);
      result_.data += ", " + std::to_string(held) + " of them held out for unit selection";
    }
    x_mean_ = column_mean(data_.train.features);
    resolve_units();
    Rng rng = Rng::derive(cfg.seed, Stream::calibration);
    const std::size_t n = data_.train.size();
    auto order = data::shuffled_indices(n, rng);
    order.resize(std::min(n, cfg.calibration_samples));
    calibration_rows_ = order;
    sigma_x_ = estimate_sigma_x(rng);
  }

  TrainResult run() {
    record({{"type", "start"},
            {"data", result_.data},
            {"sigma_x", sigma_x_},
            {"units", unit_configs_},
            {"task", cfg_.task == Task::supervised ? "supervised" : "self_supervised"}});
    if (cfg_.compare_raw_readout) {
      Rng rng = Rng::derive(cfg_.seed, Stream::probe);
      result_.raw_readout = readout_accuracy(data_.train.features, data_.train.labels, data_.test.features,
                                             data_.test.labels, n_classes_, cfg_.readout, rng);
      record({{"type", "baseline"}, {"name", "raw_readout"}, {"accuracy", *result_.raw_readout}});
    }
    if (cfg_.task == Task::self_supervised) {
      run_ssl();
    } else {
      auto dev = pib_pipeline(false, "pib");
      result_.pib_deployed = dev.unit_accuracy.back();
      result_.unit_readout_accuracy = dev.unit_accuracy;
      if (cfg_.track_readout_every_epoch) result_.accuracy_by_pib_epochs = dev.accuracy_by_epochs;
      result_.unit_selected_epoch = dev.selected_epoch;
      result_.unit_validation_accuracy = dev.validation_accuracy;
      const Eigen::Index rows = std::min<Eigen::Index>(2000, dev.test.back().rows());
      result_.embedding_features = dev.test.back().topRows(rows);
      result_.embedding_labels.assign(data_.test.labels.begin(), data_.test.labels.begin() + rows);
      if (cfg_.compare_pib_ideal) {
        auto ideal = pib_pipeline(true, "pib_ideal");
        result_.pib_ideal = ideal.unit_accuracy.back();
        result_.unit_readout_accuracy_ideal = ideal.unit_accuracy;
      }
      if (cfg_.backprop.enabled) run_backprop();
      if (!cfg_.faults.empty()) run_fault(dev);
    }
    result_.wall_s = elapsed();
    return result_;
  }

 private:
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  void record(nlohmann::json j) {
    if (!cb_.on_record) return;
    j["wall_s"] = elapsed();
    std::lock_guard lock(callback_mutex_);
    cb_.on_record(j);
  }
  void progress(Progress p) {
    if (!cb_.on_progress) return;
    p.elapsed_s = elapsed();
    std::lock_guard lock(callback_mutex_);
    cb_.on_progress(p);
  }

  // Resolves the unit configs along the chain (units::resolve_chain: input sizes filled in, every config
  // checked by building it once; errors name "units[l]").
  void resolve_units() { unit_configs_ = units::resolve_chain(cfg_.units, data_.num_features()); }

  // The units of the resolved configs: the devices (units::build_chain), or ideal models of the same configs
  // with the same unit seeds.
  Chain make_chain(bool ideal) const {
    Chain c;
    if (ideal) {
      for (std::size_t l = 0; l < unit_configs_.size(); ++l)
        c.units.push_back(std::make_unique<IdealUnit>(
            unit_configs_[l], derive_seed(cfg_.seed, Stream::unit, l), "units[" + std::to_string(l) + "]"));
    } else {
      c.units = units::build_chain(unit_configs_, cfg_.seed);
    }
    for (const auto& u : c.units)
      c.means.push_back(Eigen::RowVectorXd::Zero(u->input_dim()));
    return c;
  }

  double estimate_sigma_x(Rng& rng) const {
    const std::size_t n = data_.train.size();
    const std::size_t bs = std::min<std::size_t>(n, static_cast<std::size_t>(cfg_.batch_size));
    const auto order = data::shuffled_indices(n, rng);
    double sum = 0;
    int count = 0;
    Matrix xb(static_cast<Eigen::Index>(bs), data_.num_features());
    for (std::size_t start = 0; start + bs <= n && count < 10; start += bs, ++count) {
      for (std::size_t i = 0; i < bs; ++i)
        xb.row(static_cast<Eigen::Index>(i)) =
            data_.train.features.row(static_cast<Eigen::Index>(order[start + i])) - x_mean_;
      sum += cfg_.pib.x_width.select(xb);
    }
    return sum / std::max(count, 1);
  }

  Eigen::RowVectorXd input_mean(const Matrix& input) const {
    return cfg_.center_inputs ? column_mean(input) : Eigen::RowVectorXd::Zero(input.cols());
  }

  // Measures `input` (split-sized, uncentred) through one unit in chunks; returns the outputs (or the
  // responses when `responses`).
  Matrix measure_split(Unit& unit, const Eigen::RowVectorXd& mean, const Matrix& input, Rng& rng,
                       bool responses = false) const {
    Matrix out;
    Measurement m;
    const Eigen::Index n = input.rows(), chunk = static_cast<Eigen::Index>(cfg_.eval_batch);
    for (Eigen::Index start = 0; start < n; start += chunk) {
      const Eigen::Index rows = std::min(chunk, n - start);
      unit.measure(centred(input.middleRows(start, rows), mean), m, rng);
      const Matrix& src = responses ? m.response : m.output;
      if (out.size() == 0) out.resize(n, src.cols());
      out.middleRows(start, rows) = src;
    }
    return out;
  }

  // Calibration pass on the calibration rows of `input` (a train-split-aligned matrix).
  void calibrate(Unit& unit, const Eigen::RowVectorXd& mean, const Matrix& input, Rng& rng) const {
    Matrix sample(static_cast<Eigen::Index>(calibration_rows_.size()), input.cols());
    for (std::size_t i = 0; i < calibration_rows_.size(); ++i)
      sample.row(static_cast<Eigen::Index>(i)) =
          input.row(static_cast<Eigen::Index>(calibration_rows_[i])) - mean;
    unit.calibrate(sample, rng);
  }

  double fit_readout(const Matrix& train, const Matrix& test, Rng& rng,
                     SoftmaxReadout* keep = nullptr) const {
    SoftmaxReadout r;
    r.fit(train, data_.train.labels, n_classes_, cfg_.readout, rng);
    const double acc = r.accuracy(test, data_.test.labels);
    if (keep) *keep = std::move(r);
    return acc;
  }

  // One supervised PIB step of `t.unit` on the centred unit input t.input and the centred global input xb.
  bottleneck::Terms pib_step(UnitTrainer& t, const Matrix& xb, const std::vector<int>& labels,
                             double lr_scale, Rng& rng) {
    const auto bt = bottleneck::BatchTargets::supervised(xb, sigma_x_, labels, n_classes_, cfg_.pib.alpha);
    t.unit.measure(t.input, t.m, rng);
    t.dz.resize(t.m.output.rows(), t.m.output.cols());
    const auto terms = bottleneck::pib_loss(bt, t.m.output, pib_cfg_, t.ws, t.dz);
    t.unit.gradient(t.m, t.dz, t.grad);
    t.adam.step(t.params, t.grad, lr_scale);
    t.unit.deploy(t.params, rng);
    return terms;
  }

  double lr_scale(long step, long total) const {
    if (total <= 1) return 1.0;
    const auto& o = cfg_.optimizer;
    const double final_fraction = o.lr_final > 0.0 ? o.lr_final / o.lr : 1.0;
    return 1.0 - (1.0 - final_fraction) * static_cast<double>(step) / static_cast<double>(total - 1);
  }

  // The held-out score of unit l: a readout fitted on its measured features of the training split, scored
  // on its measured features of the held-out split (`val_input`: the unit's uncentred inputs there). Its own
  // generator, the same for every call on unit l, so scoring leaves training's random stream alone and
  // epochs are compared under the same readout initialisation.
  double validation_score(Chain& chain, std::size_t l, const Matrix& input, const Matrix& val_input) const {
    Rng rng = Rng::derive(cfg_.seed, Stream::evaluation, l);
    Unit& unit = *chain.units[l];
    const Matrix tr = measure_split(unit, chain.means[l], input, rng);
    const Matrix va = measure_split(unit, chain.means[l], val_input, rng);
    SoftmaxReadout r;
    r.fit(tr, data_.train.labels, n_classes_, cfg_.readout, rng);
    return r.accuracy(va, validation_.labels);
  }

  // Cascade training of unit l on stored (uncentred) inputs `input` (train-split-aligned). `after_epoch`
  // runs after every epoch (and with epoch 0 before the first). With `val_input` (the unit's inputs on the
  // held-out split) the unit ends with the parameters of its best-scoring epoch (ValidationSettings).
  // Returns the epoch the unit ends with and, with `val_input`, its held-out score.
  std::pair<int, std::optional<double>> train_unit(
      Chain& chain, std::size_t l, const Matrix& input, int epochs, const std::string& stage, Rng& rng,
      const std::function<std::optional<double>(int)>& after_epoch, const Matrix* val_input = nullptr) {
    Unit& unit = *chain.units[l];
    UnitTrainer t(unit, cfg_.optimizer);
    data::MiniBatcher batches(data_.train, static_cast<std::size_t>(cfg_.batch_size), true);
    const long total = static_cast<long>(batches.batches_per_epoch()) * epochs;
    long step = 0;
    data::Batch b;
    Matrix xb;
    after_epoch(0);
    int best_epoch = 0, trained = 0;
    std::vector<double> scores;  // held-out score after 0, 1, ... epochs; the best is scores[best_epoch]
    Eigen::VectorXd best_params = t.params;
    if (val_input) scores.push_back(validation_score(chain, l, input, *val_input));
    for (int epoch = 0; epoch < epochs; ++epoch) {
      if (val_input && cfg_.validation.patience > 0 && epoch - best_epoch >= cfg_.validation.patience) break;
      trained = epoch + 1;
      if (epoch > 0) calibrate(unit, chain.means[l], input, rng);
      EpochStats stats;
      batches.start_epoch(rng);
      while (batches.next(b)) {
        const auto rows = static_cast<Eigen::Index>(b.indices.size());
        t.input.resize(rows, input.cols());
        xb.resize(rows, data_.num_features());
        for (Eigen::Index i = 0; i < rows; ++i) {
          const auto r = static_cast<Eigen::Index>(b.indices[static_cast<std::size_t>(i)]);
          t.input.row(i) = input.row(r) - chain.means[l];
          xb.row(i) = b.features.row(i) - x_mean_;
        }
        stats.add(pib_step(t, xb, b.labels, lr_scale(step++, total), rng));
        if (stats.count % 20 == 0)
          progress({stage, static_cast<int>(l), epoch, epochs, stats.count,
                    static_cast<int>(batches.batches_per_epoch()), 0, stats.i_xz / stats.count,
                    stats.i_yz / stats.count, std::nullopt});
      }
      calibrate(unit, chain.means[l], input, rng);
      const auto acc = after_epoch(epoch + 1);
      auto rec = stats.to_json();
      rec["type"] = "epoch";
      rec["stage"] = stage;
      rec["unit"] = l;
      rec["epoch"] = epoch + 1;
      if (acc) rec["readout_accuracy"] = *acc;
      if (val_input) {
        const double score = validation_score(chain, l, input, *val_input);
        scores.push_back(score);
        rec["validation_accuracy"] = score;
        if (score > scores[static_cast<std::size_t>(best_epoch)]) {
          best_epoch = epoch + 1;
          best_params = t.params;
        }
      }
      record(rec);
      progress({stage, static_cast<int>(l), epoch + 1, epochs, 0, 0, 0, stats.i_xz / std::max(stats.count, 1),
                stats.i_yz / std::max(stats.count, 1), acc});
    }
    if (!val_input) return {trained, std::nullopt};
    const double best_score = scores[static_cast<std::size_t>(best_epoch)];
    nlohmann::json rec = {{"type", "unit_selected"},
                          {"stage", stage},
                          {"unit", l},
                          {"epoch", best_epoch},
                          {"epochs_trained", trained},
                          {"validation_accuracy", best_score},
                          {"validation_accuracy_by_epoch", scores}};
    if (best_epoch != trained) {  // back to the best epoch's parameters: programmed again, recalibrated
      unit.deploy(best_params, rng);
      calibrate(unit, chain.means[l], input, rng);
      rec["validation_accuracy_redeployed"] = validation_score(chain, l, input, *val_input);
    }
    record(rec);
    return {best_epoch, best_score};
  }

  // ---- supervised PIB ------------------------------------------------------------------------------------

  PipelineOut pib_pipeline(bool ideal, const std::string& stage) {
    PipelineOut out;
    out.chain = make_chain(ideal);
    Rng rng = Rng::derive(cfg_.seed, Stream::measure, ideal ? 1 : 0);
    const std::size_t L = out.chain.units.size();
    out.accuracy_by_epochs.resize(L);
    if (cfg_.schedule == Schedule::parallel) train_parallel(out.chain, stage);
    Matrix in_train = data_.train.features, in_test = data_.test.features, in_val = validation_.features;
    const bool select = cfg_.validation.enabled();
    for (std::size_t l = 0; l < L; ++l) {
      Unit& unit = *out.chain.units[l];
      out.chain.means[l] = input_mean(in_train);
      calibrate(unit, out.chain.means[l], in_train, rng);
      if (l == 0 && !ideal && cfg_.compare_raw_readout && unit.kind() == "optical") {
        const Matrix s_train = measure_split(unit, out.chain.means[0], in_train, rng, true);
        const Matrix s_test = measure_split(unit, out.chain.means[0], in_test, rng, true);
        result_.raw_speckle_readout = fit_readout(s_train, s_test, rng);
        record({{"type", "baseline"},
                {"name", "raw_speckle_readout"},
                {"accuracy", *result_.raw_speckle_readout}});
      }
      if (cfg_.schedule == Schedule::cascade) {
        const auto [epoch, score] = train_unit(
            out.chain, l, in_train, cfg_.epochs_of(l), stage, rng,
            [&](int) -> std::optional<double> {
              if (!cfg_.track_readout_every_epoch) return std::nullopt;
              const Matrix tr = measure_split(unit, out.chain.means[l], in_train, rng);
              const Matrix te = measure_split(unit, out.chain.means[l], in_test, rng);
              const double acc = fit_readout(tr, te, rng);
              out.accuracy_by_epochs[l].push_back(acc);
              return acc;
            },
            select ? &in_val : nullptr);
        if (score) {
          out.selected_epoch.push_back(epoch);
          out.validation_accuracy.push_back(*score);
        }
      }
      out.train.push_back(measure_split(unit, out.chain.means[l], in_train, rng));
      out.test.push_back(measure_split(unit, out.chain.means[l], in_test, rng));
      const bool last = l + 1 == L;
      out.unit_accuracy.push_back(
          fit_readout(out.train.back(), out.test.back(), rng, last ? &out.readout : nullptr));
      record({{"type", "unit_done"},
              {"stage", stage},
              {"unit", l},
              {"readout_accuracy", out.unit_accuracy.back()}});
      progress({stage, static_cast<int>(l), cfg_.epochs_of(l), cfg_.epochs_of(l), 0, 0, 0, 0, 0,
                out.unit_accuracy.back()});
      in_train = out.train.back();
      in_test = out.test.back();
      if (select && l + 1 < L) in_val = measure_split(unit, out.chain.means[l], in_val, rng);
    }
    return out;
  }

  // The parallel schedule: an initialisation pass (centring and calibration of every unit on the initial
  // upstream outputs), then one oneTBB task per unit. Task l owns unit l's optimiser and writes only unit l
  // (deploy, calibrate); it measures the upstream units concurrently with their own tasks (allowed by the
  // Unit contract). chain.means is read-only while the tasks run.
  void train_parallel(Chain& chain, const std::string& stage) {
    Rng init_rng = Rng::derive(cfg_.seed, Stream::calibration, 1);
    Matrix in = data_.train.features;
    for (std::size_t l = 0; l < chain.units.size(); ++l) {
      chain.means[l] = input_mean(in);
      calibrate(*chain.units[l], chain.means[l], in, init_rng);
      if (l + 1 < chain.units.size()) in = measure_split(*chain.units[l], chain.means[l], in, init_rng);
    }
    tbb::task_group group;
    for (std::size_t l = 0; l < chain.units.size(); ++l)
      group.run([this, &chain, &stage, l] { parallel_task(chain, l, stage); });
    group.wait();
  }

  void parallel_task(Chain& chain, std::size_t l, const std::string& stage) {
    Rng rng = Rng::derive(cfg_.seed, Stream::deploy, l);
    Unit& unit = *chain.units[l];
    UnitTrainer t(unit, cfg_.optimizer);
    data::MiniBatcher batches(data_.train, static_cast<std::size_t>(cfg_.batch_size), true);
    const int epochs = cfg_.epochs_of(l);
    const long total = static_cast<long>(batches.batches_per_epoch()) * epochs;
    long step = 0;
    data::Batch b;
    Matrix xb, cal;
    Measurement up;
    // Input of unit l for raw inputs x: measured through units 0 .. l-1 as they are now.
    auto upstream = [&](const Matrix& x, Matrix& in_centred) {
      in_centred = x;
      for (std::size_t j = 0; j < l; ++j) {
        chain.units[j]->measure(centred(in_centred, chain.means[j]), up, rng);
        in_centred = up.output;
      }
      in_centred.rowwise() -= chain.means[l];
    };
    Matrix cal_raw(static_cast<Eigen::Index>(calibration_rows_.size()), data_.num_features());
    for (std::size_t i = 0; i < calibration_rows_.size(); ++i)
      cal_raw.row(static_cast<Eigen::Index>(i)) =
          data_.train.features.row(static_cast<Eigen::Index>(calibration_rows_[i]));
    for (int epoch = 0; epoch < epochs; ++epoch) {
      if (epoch > 0) {
        upstream(cal_raw, cal);
        unit.calibrate(cal, rng);
      }
      EpochStats stats;
      batches.start_epoch(rng);
      while (batches.next(b)) {
        upstream(b.features, t.input);
        xb = b.features.rowwise() - x_mean_;
        stats.add(pib_step(t, xb, b.labels, lr_scale(step++, total), rng));
      }
      auto rec = stats.to_json();
      rec["type"] = "epoch";
      rec["stage"] = stage;
      rec["schedule"] = "parallel";
      rec["unit"] = l;
      rec["epoch"] = epoch + 1;
      record(rec);
      progress({stage, static_cast<int>(l), epoch + 1, epochs, 0, 0, 0, stats.i_xz / std::max(stats.count, 1),
                stats.i_yz / std::max(stats.count, 1), std::nullopt});
    }
  }

  // ---- backprop in silico --------------------------------------------------------------------------------

  void run_backprop() {
    const std::size_t L = unit_configs_.size();
    std::vector<IdealLayer> layers;
    std::vector<Eigen::VectorXd> params;
    std::vector<Adam> adams;
    Rng rng = Rng::derive(cfg_.seed, Stream::backprop);
    for (std::size_t l = 0; l < L; ++l) {
      layers.push_back(IdealLayer::from_unit_config(unit_configs_[l], "units[" + std::to_string(l) + "]"));
      Rng init(derive_seed(cfg_.seed, Stream::unit, l));  // as the ideal unit of this config initialises
      params.push_back(layers[l].initial_parameters(init));
      adams.emplace_back(layers[l].parameter_count(), cfg_.backprop.optimizer);
    }
    const Eigen::Index d_last = layers.back().output_dim();
    Eigen::VectorXd head = Eigen::VectorXd::Zero(d_last * n_classes_ + n_classes_);
    Adam head_adam(head.size(), cfg_.backprop.optimizer);
    std::vector<Eigen::RowVectorXd> means(L);

    // Forward through the ideal network with fixed centring; acts[l] = unit l's centred input.
    std::vector<Matrix> acts(L + 1), zs(L), unpooled(L);  // unpooled: outputs before pooling
    auto forward = [&](const Matrix& x) {
      acts[0] = x;
      for (std::size_t l = 0; l < L; ++l) {
        acts[l].rowwise() -= means[l];
        layers[l].forward(params[l], acts[l], zs[l], &unpooled[l]);
        acts[l + 1] = zs[l];
      }
    };
    auto head_logits = [&](const Matrix& z) {
      const Eigen::Map<const Matrix> w(head.data(), d_last, n_classes_);
      Matrix lg = z * w;
      lg.rowwise() += head.tail(n_classes_).transpose();
      return lg;
    };
    auto accuracy_of = [&](const Matrix& x, const std::vector<int>& labels) {
      std::size_t hits = 0;
      for (Eigen::Index start = 0; start < x.rows(); start += 2000) {
        const Eigen::Index rows = std::min<Eigen::Index>(2000, x.rows() - start);
        forward(x.middleRows(start, rows));
        const Matrix lg = head_logits(acts[L]);
        for (Eigen::Index i = 0; i < rows; ++i) {
          Eigen::Index arg = 0;
          lg.row(i).maxCoeff(&arg);
          hits += arg == labels[static_cast<std::size_t>(start + i)];
        }
      }
      return static_cast<double>(hits) / static_cast<double>(labels.size());
    };
    // Centring means on the calibration rows with the current parameters (fixed for the next epoch).
    Matrix cal(static_cast<Eigen::Index>(calibration_rows_.size()), data_.num_features());
    for (std::size_t i = 0; i < calibration_rows_.size(); ++i)
      cal.row(static_cast<Eigen::Index>(i)) =
          data_.train.features.row(static_cast<Eigen::Index>(calibration_rows_[i]));
    auto update_means = [&] {
      Matrix a = cal;
      for (std::size_t l = 0; l < L; ++l) {
        means[l] = input_mean(a);
        Matrix z;
        layers[l].forward(params[l], centred(a, means[l]), z);
        a = std::move(z);
      }
    };

    data::MiniBatcher batches(data_.train, static_cast<std::size_t>(cfg_.backprop.batch_size), true);
    data::Batch b;
    Matrix g, dz, dx;
    Eigen::VectorXd grad;
    const int epochs = cfg_.backprop.epochs;
    for (int epoch = 0; epoch < epochs; ++epoch) {
      update_means();
      batches.start_epoch(rng);
      double loss_sum = 0;
      int count = 0;
      while (batches.next(b)) {
        forward(b.features);
        const Matrix lg = head_logits(acts[L]);
        loss_sum += softmax_cross_entropy(lg, b.labels, g);
        ++count;
        Eigen::VectorXd hg(head.size());
        Eigen::Map<Matrix>(hg.data(), d_last, n_classes_).noalias() = acts[L].transpose() * g;
        hg.tail(n_classes_) = g.colwise().sum().transpose();
        const Eigen::Map<const Matrix> w(head.data(), d_last, n_classes_);
        dz = g * w.transpose();
        head_adam.step(head, hg);
        for (std::size_t l = L; l-- > 0;) {
          grad.resize(layers[l].parameter_count());
          layers[l].backward(params[l], acts[l], zs[l], dz, grad, l > 0 ? &dx : nullptr, &unpooled[l]);
          adams[l].step(params[l], grad);
          if (l > 0) dz = dx;  // centring is a constant shift: dL/dz_{l-1} = dL/dacts[l]
        }
      }
      const double test_acc = accuracy_of(data_.test.features, data_.test.labels);
      record({{"type", "bp_epoch"},
              {"epoch", epoch + 1},
              {"loss", loss_sum / std::max(count, 1)},
              {"test_accuracy", test_acc}});
      progress({"backprop", -1, epoch + 1, epochs, 0, 0, 0, 0, 0, test_acc});
      if (epoch + 1 == epochs) result_.bp_ideal = test_acc;
    }

    // Deploy on fresh devices of the same chips, with the same centring constants.
    Chain chain = make_chain(false);
    Rng dev_rng = Rng::derive(cfg_.seed, Stream::backprop, 1);
    Matrix in_train = data_.train.features, in_test = data_.test.features;
    for (std::size_t l = 0; l < L; ++l) {
      chain.means[l] = means[l];
      chain.units[l]->deploy(params[l], dev_rng);
      calibrate(*chain.units[l], means[l], in_train, dev_rng);
      in_train = measure_split(*chain.units[l], means[l], in_train, dev_rng);
      in_test = measure_split(*chain.units[l], means[l], in_test, dev_rng);
    }
    const auto bp_head = SoftmaxReadout::from_linear(
        Eigen::Map<const Matrix>(head.data(), d_last, n_classes_), head.tail(n_classes_).transpose());
    result_.bp_deployed = bp_head.accuracy(in_test, data_.test.labels);
    result_.bp_deployed_readout_refit = fit_readout(in_train, in_test, dev_rng);
    record({{"type", "backprop"},
            {"bp_ideal", *result_.bp_ideal},
            {"bp_deployed", *result_.bp_deployed},
            {"bp_deployed_readout_refit", *result_.bp_deployed_readout_refit}});
  }

  // ---- fault experiment ----------------------------------------------------------------------------------

  void run_fault(PipelineOut& dev) {
    const std::size_t L = dev.chain.units.size();
    std::size_t f = L;  // the first faulty unit: recovery retrains the units after it
    for (const auto& e : cfg_.faults)
      f = std::min(f, static_cast<std::size_t>(e.unit));
    Rng rng = Rng::derive(cfg_.seed, Stream::fault);
    result_.before_fault = dev.unit_accuracy.back();
    for (std::size_t k = 0; k < cfg_.faults.size(); ++k) {
      const auto& e = cfg_.faults[k];
      try {
        dev.chain.units[static_cast<std::size_t>(e.unit)]->inject_faults(e.inject, rng);
      } catch (const Error& err) {
        raise<ConfigError>("faults[", k, "] (unit ", e.unit, "): ", err.what());
      }
    }

    // The same devices, centring, calibration and readout, measured after the fault.
    Matrix te = f == 0 ? data_.test.features : dev.test[f - 1];
    Matrix tr = f == 0 ? data_.train.features : dev.train[f - 1];
    for (std::size_t l = f; l < L; ++l)
      te = measure_split(*dev.chain.units[l], dev.chain.means[l], te, rng);
    result_.after_fault = dev.readout.accuracy(te, data_.test.labels);
    tr = measure_split(*dev.chain.units[f], dev.chain.means[f], tr, rng);
    te = measure_split(*dev.chain.units[f], dev.chain.means[f],
                       f == 0 ? data_.test.features : dev.test[f - 1], rng);
    {
      Matrix tr2 = tr, te2 = te;
      for (std::size_t l = f + 1; l < L; ++l) {
        tr2 = measure_split(*dev.chain.units[l], dev.chain.means[l], tr2, rng);
        te2 = measure_split(*dev.chain.units[l], dev.chain.means[l], te2, rng);
      }
      result_.after_fault_readout_refit = fit_readout(tr2, te2, rng);
    }
    record({{"type", "fault"},
            {"faults", units::to_json(cfg_.faults, false)},
            {"before_fault", *result_.before_fault},
            {"after_fault", *result_.after_fault},
            {"after_fault_readout_refit", *result_.after_fault_readout_refit}});
    // Recovery: PIB-retrain the later units on the corrupted measured features, then refit the readout.
    for (std::size_t l = f + 1; l < L; ++l) {
      Unit& unit = *dev.chain.units[l];
      dev.chain.means[l] = input_mean(tr);
      calibrate(unit, dev.chain.means[l], tr, rng);
      train_unit(dev.chain, l, tr, cfg_.fault_recovery_epochs, "fault_recovery", rng,
                 [](int) { return std::optional<double>(); });
      tr = measure_split(unit, dev.chain.means[l], tr, rng);
      te = measure_split(unit, dev.chain.means[l], te, rng);
    }
    result_.after_recovery = fit_readout(tr, te, rng);
    record({{"type", "fault_recovery"}, {"after_recovery", *result_.after_recovery}});
    progress({"fault_recovery", -1, 1, 1, 0, 0, 0, 0, 0, result_.after_recovery});
  }

  // ---- self-supervised -----------------------------------------------------------------------------------

  void run_ssl() {
    Chain chain = make_chain(false);
    const std::size_t L = chain.units.size();
    Rng rng = Rng::derive(cfg_.seed, Stream::augment);
    // The probe's training set: a stratified subset of train.
    data::Split probe_train = data_.train;
    if (cfg_.ssl.probe_train_samples > 0 && cfg_.ssl.probe_train_samples < data_.train.size())
      probe_train = data::stratified_subset(data_.train, n_classes_, cfg_.ssl.probe_train_samples, rng);
    auto probe = [&](const Matrix& tr, const Matrix& te) {
      SoftmaxReadout r;
      r.fit(tr, probe_train.labels, n_classes_, cfg_.readout, rng);
      return r.accuracy(te, data_.test.labels);
    };
    result_.probe_accuracy_raw_pixels = probe(probe_train.features, data_.test.features);
    record({{"type", "baseline"},
            {"name", "probe_raw_pixels"},
            {"accuracy", *result_.probe_accuracy_raw_pixels}});

    const bool images = data_.sample_shape.size() == 2;
    std::unique_ptr<data::ImageAugmenter> image_aug;
    std::unique_ptr<data::Mnist1dAugmenter> seq_aug;
    if (images) {
      auto ac = data::ImageAugmentConfig::from_json(cfg_.ssl.augment, "ssl.augment");
      ac.height = static_cast<int>(data_.sample_shape[0]);
      ac.width = static_cast<int>(data_.sample_shape[1]);
      image_aug = std::make_unique<data::ImageAugmenter>(ac);
    } else {
      seq_aug = std::make_unique<data::Mnist1dAugmenter>(
          data::Mnist1dAugmentConfig::from_json(cfg_.ssl.augment, "ssl.augment"));
    }
    auto two_views = [&](const Matrix& x, Matrix& a, Matrix& b) {
      if (images)
        image_aug->two_views(x, a, b, rng);
      else
        seq_aug->two_views(x, a, b, rng);
    };

    Matrix in_probe = probe_train.features, in_test = data_.test.features, in_train = data_.train.features;
    data::MiniBatcher batches(data_.train, static_cast<std::size_t>(cfg_.batch_size), true);
    data::Batch b;
    Matrix v1, v2, x1, x2;
    long global_iteration = 0;
    const int iters = cfg_.ssl.iterations_per_unit;
    for (std::size_t l = 0; l < L; ++l) {
      Unit& unit = *chain.units[l];
      chain.means[l] = input_mean(in_train);
      calibrate(unit, chain.means[l], in_train, rng);
      UnitTrainer t(unit, cfg_.optimizer);
      auto run_probe = [&] {
        const Matrix tr = measure_split(unit, chain.means[l], in_probe, rng);
        const Matrix te = measure_split(unit, chain.means[l], in_test, rng);
        const double acc = probe(tr, te);
        result_.probe_accuracy_by_iteration.emplace_back(global_iteration, acc);
        if (!result_.probe_accuracy_random_init) result_.probe_accuracy_random_init = acc;
        return acc;
      };
      double acc = run_probe();
      record({{"type", "probe"}, {"unit", l}, {"iteration", global_iteration}, {"accuracy", acc}});
      EpochStats stats;
      double i_z1z2 = 0;
      batches.start_epoch(rng);
      for (int it = 0; it < iters; ++it) {
        if (!batches.next(b)) {
          batches.start_epoch(rng);
          (void)batches.next(b);
        }
        two_views(b.features, v1, v2);
        // Views through the frozen upstream units.
        x1 = v1.rowwise() - x_mean_;
        x2 = v2.rowwise() - x_mean_;
        t.input = v1;
        t.input2 = v2;
        for (std::size_t j = 0; j < l; ++j) {
          chain.units[j]->measure(centred(t.input, chain.means[j]), t.m, rng);
          t.input = t.m.output;
          chain.units[j]->measure(centred(t.input2, chain.means[j]), t.m2, rng);
          t.input2 = t.m2.output;
        }
        t.input.rowwise() -= chain.means[l];
        t.input2.rowwise() -= chain.means[l];
        const auto bt = bottleneck::BatchTargets::self_supervised(x1, x2, sigma_x_, cfg_.pib.alpha);
        unit.measure(t.input, t.m, rng);
        unit.measure(t.input2, t.m2, rng);
        t.dz.resize(t.m.output.rows(), t.m.output.cols());
        t.dz2.resize(t.m2.output.rows(), t.m2.output.cols());
        const auto terms = bottleneck::ssl_loss(bt, t.m.output, t.m2.output, pib_cfg_, t.ws, t.dz, t.dz2);
        t.grad2.resize(t.grad.size());
        unit.gradient(t.m, t.dz, t.grad);
        unit.gradient(t.m2, t.dz2, t.grad2);
        t.grad += t.grad2;
        t.adam.step(t.params, t.grad, lr_scale(it, iters));
        unit.deploy(t.params, rng);
        stats.add(terms);
        i_z1z2 += terms.i_z1z2;
        ++global_iteration;
        if ((it + 1) % cfg_.ssl.probe_every == 0 || it + 1 == iters) {
          calibrate(unit, chain.means[l], in_train, rng);
          acc = run_probe();
          auto rec = stats.to_json();
          rec["type"] = "probe";
          rec["unit"] = l;
          rec["iteration"] = global_iteration;
          rec["accuracy"] = acc;
          rec["I_z1z2"] = i_z1z2 / std::max(stats.count, 1);
          record(rec);
          progress({"ssl", static_cast<int>(l), it + 1, iters, 0, 0, 0, stats.i_xz / std::max(stats.count, 1),
                    i_z1z2 / std::max(stats.count, 1), acc});
          stats = EpochStats{};
          i_z1z2 = 0;
        }
      }
      if (l + 1 < L) {
        in_probe = measure_split(unit, chain.means[l], in_probe, rng);
        in_test = measure_split(unit, chain.means[l], in_test, rng);
        in_train = measure_split(unit, chain.means[l], in_train, rng);
      }
    }
  }

  const TrainConfig& cfg_;
  const Callbacks& cb_;
  Clock::time_point start_;
  std::mutex callback_mutex_;
  bottleneck::PibConfig pib_cfg_;
  data::Dataset data_;
  data::Split validation_;  // held out of data_.train for unit selection (empty unless cfg_.validation)
  int n_classes_ = 0;
  Eigen::RowVectorXd x_mean_;
  nlohmann::json unit_configs_;  // resolved (units::resolve_chain)
  std::vector<std::size_t> calibration_rows_;
  double sigma_x_ = 1.0;
  TrainResult result_;
};

}  // namespace

TrainResult run_training(const TrainConfig& config, const Callbacks& callbacks) {
  config.validate();
  Experiment experiment(config, callbacks);
  return experiment.run();
}

}  // namespace pib::train
