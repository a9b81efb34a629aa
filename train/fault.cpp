// The fault experiment (train/experiments.hpp).
#include <algorithm>
#include <string>

#include "common/error.hpp"
#include "train/experiments.hpp"
#include "units/fault.hpp"

namespace pib::train {

using units::Unit;

void run_fault(Context& ctx, PipelineOut& dev) {
  const std::size_t L = dev.chain.units.size();
  std::size_t f = L;  // the first faulty unit: recovery retrains the units after it
  for (const auto& e : ctx.cfg.faults)
    f = std::min(f, static_cast<std::size_t>(e.unit));
  Rng rng = ctx.stream(Stream::fault);
  ctx.result.before_fault = dev.unit_accuracy.back();
  for (std::size_t k = 0; k < ctx.cfg.faults.size(); ++k) {
    const auto& e = ctx.cfg.faults[k];
    try {
      dev.chain.units[static_cast<std::size_t>(e.unit)]->inject_faults(e.inject, rng);
    } catch (const Error& err) {
      raise<ConfigError>("faults[", k, "] (unit ", e.unit, "): ", err.what());
    }
  }

  // The same devices, centring, calibration and readout, measured after the fault.
  Matrix te = f == 0 ? ctx.data.test.features : dev.test[f - 1];
  Matrix tr = f == 0 ? ctx.data.train.features : dev.train[f - 1];
  for (std::size_t l = f; l < L; ++l)
    te = ctx.measure_split(*dev.chain.units[l], dev.chain.norms[l], te, rng);
  ctx.result.after_fault = dev.readout.accuracy(te, ctx.data.test.labels);
  tr = ctx.measure_split(*dev.chain.units[f], dev.chain.norms[f], tr, rng);
  te = ctx.measure_split(*dev.chain.units[f], dev.chain.norms[f],
                         f == 0 ? ctx.data.test.features : dev.test[f - 1], rng);
  {
    Matrix tr2 = tr, te2 = te;
    for (std::size_t l = f + 1; l < L; ++l) {
      tr2 = ctx.measure_split(*dev.chain.units[l], dev.chain.norms[l], tr2, rng);
      te2 = ctx.measure_split(*dev.chain.units[l], dev.chain.norms[l], te2, rng);
    }
    ctx.result.after_fault_readout_refit = ctx.fit_readout(tr2, te2, rng);
  }
  ctx.record({{"type", "fault"},
              {"faults", units::to_json(ctx.cfg.faults, false)},
              {"before_fault", *ctx.result.before_fault},
              {"after_fault", *ctx.result.after_fault},
              {"after_fault_readout_refit", *ctx.result.after_fault_readout_refit}});
  // Recovery: PIB-retrain the later units on the corrupted measured features, then refit the readout.
  for (std::size_t l = f + 1; l < L; ++l) {
    Unit& unit = *dev.chain.units[l];
    dev.chain.norms[l] = ctx.input_norm(tr, l);
    ctx.calibrate(unit, dev.chain.norms[l], tr, rng);
    train_unit(ctx, dev.chain, l, tr, ctx.cfg.fault_recovery_epochs, "fault_recovery", rng,
               [](int) { return std::optional<double>(); });
    tr = ctx.measure_split(unit, dev.chain.norms[l], tr, rng);
    te = ctx.measure_split(unit, dev.chain.norms[l], te, rng);
  }
  ctx.result.after_recovery = ctx.fit_readout(tr, te, rng);
  ctx.record({{"type", "fault_recovery"}, {"after_recovery", *ctx.result.after_recovery}});
  ctx.progress({"fault_recovery", -1, 1, 1, 0, 0, 0, 0, 0, ctx.result.after_recovery});
}

}  // namespace pib::train
