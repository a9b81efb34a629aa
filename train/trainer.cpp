#include "train/trainer.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "train/experiments.hpp"
#include "train/generalisation.hpp"
#include "train/methods.hpp"

namespace pib::train {

Eigen::RowVectorXd column_mean(const Eigen::Ref<const Matrix>& x) {
  PIB_EXPECTS(x.rows() > 0, "column_mean of an empty matrix");
  return x.colwise().mean();
}

nlohmann::json GeneralisationScores::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  if (!accuracy_by_input_noise.empty()) {
    j["input_noise"] = nlohmann::json::array();
    for (const auto& [level, accuracy] : accuracy_by_input_noise)
      j["input_noise"].push_back({{"level", level}, {"accuracy", accuracy}});
  }
  if (ood_auroc_msp) j["ood_auroc"] = {{"msp", *ood_auroc_msp}, {"energy", *ood_auroc_energy}};
  if (!ood_roc_msp.empty()) j["ood_roc"] = ood_roc_json(ood_roc_msp, ood_roc_energy);
  return j;
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
  if (!decentralised.is_null()) j["decentralised"] = decentralised;
  if (!device.is_null()) j["device"] = device;
  for (const auto& [method, scores] : generalisation)
    j["generalisation"][method] = scores.to_json();
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

TrainResult run_training(const TrainConfig& config, const Callbacks& callbacks, const RunOptions& options) {
  config.validate();
  Context ctx(config, callbacks);
  auto& result = ctx.result;
  ctx.record({{"type", "start"},
              {"data", result.data},
              {"sigma_x", ctx.sigma_x},
              {"units", ctx.unit_configs},
              {"task", config.task == Task::supervised ? "supervised" : "self_supervised"}});
  if (config.compare_raw_readout) {
    Rng rng = ctx.stream(Stream::probe);
    const auto& d = ctx.data;
    result.raw_readout = readout_accuracy(d.train.features, d.train.labels, d.test.features, d.test.labels,
                                          ctx.n_classes, config.readout, rng);
    ctx.record({{"type", "baseline"}, {"name", "raw_readout"}, {"accuracy", *result.raw_readout}});
  }
  if (config.task == Task::self_supervised) {
    run_ssl(ctx);
  } else if (config.schedule == Schedule::decentralised) {
    run_decentralised(ctx, options);
  } else {
    auto dev = pib_pipeline(ctx, false, "pib");
    result.pib_deployed = dev.unit_accuracy.back();
    result.unit_readout_accuracy = dev.unit_accuracy;
    if (config.track_readout_every_epoch) result.accuracy_by_pib_epochs = dev.accuracy_by_epochs;
    result.unit_selected_epoch = dev.selected_epoch;
    result.unit_validation_accuracy = dev.validation_accuracy;
    result.device = device_ledgers(dev.chain);  // the PIB devices' ledgers (simulated device time)
    const Eigen::Index rows = std::min<Eigen::Index>(2000, dev.test.back().rows());
    result.embedding_features = dev.test.back().topRows(rows);
    result.embedding_labels.assign(ctx.data.test.labels.begin(), ctx.data.test.labels.begin() + rows);
    if (config.generalisation.enabled()) run_generalisation(ctx, "pib", dev.chain, dev.readout);
    if (config.compare_pib_ideal) {
      auto ideal = pib_pipeline(ctx, true, "pib_ideal");
      result.pib_ideal = ideal.unit_accuracy.back();
      result.unit_readout_accuracy_ideal = ideal.unit_accuracy;
    }
    if (config.backprop.enabled) {
      const auto bp = train_backprop(ctx);
      if (config.generalisation.enabled())
        for (const auto& t : bp)
          run_generalisation(ctx, t.name, *t.chain, t.readout);
    }
    if (!config.faults.empty()) run_fault(ctx, dev);
  }
  result.wall_s = ctx.elapsed();
  return std::move(result);
}

}  // namespace pib::train
