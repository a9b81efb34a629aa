// Schedule decentralised: unit r trains on rank r (DESIGN.md 9; train/experiments.hpp).
//
// The protocol, as the paper runs its two-site hybrid network. Every rank loads the data itself (its PIB
// terms need X and Y) and builds only its own unit's device.
//   init        rank r receives its unit's training-split inputs from rank r - 1 (rank 0 reads the data),
//               centres and calibrates its untrained unit on them, and sends its measured output on to rank
//               r + 1. Unit r + 1 thus trains on features of the untrained unit r.
//   training    every rank trains its unit with PIB on the stored inputs, epoch by epoch: no messages. A rank
//               writes its checkpoint (RunOptions::checkpoint_dir) before the first epoch and after each;
//               a resumed job runs the init pass again (the untrained devices are rebuilt from the seed, so
//               it ships the same features) and every rank goes on from its own checkpoint.
//   evaluation  the trained pipeline is measured once: rank r receives its unit's train and test inputs,
//               recentres and recalibrates on them, measures, sends the outputs on, and fits a readout on
//               its own outputs (the last rank's is the pipeline's accuracy).
//   report      every rank sends rank 0 its figures (traffic, timing, device time, readout).
// Every message is a record of pib's binary format (kMessage) naming its kind, sender and phase; a receiver
// checks all three and every matrix's shape, and its errors name the sender.
//
// One process (no transport): the ranks share a LocalGroup; init and evaluation run rank by rank (every
// send precedes its receive), training runs one oneTBB task per rank. The messages, their bytes and every
// figure of the summary are the same as under MPI for the same seed, except wall times.
//
// Random streams: rank r's init pass uses Stream::rank_init r, its training Stream::rank_training r, its
// evaluation and readout Stream::rank_evaluation r, so a rank's numbers depend on nothing but its inputs.
#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <tbb/task_group.h>

#include "common/binary_io.hpp"
#include "common/error.hpp"
#include "data/dataset.hpp"
#include "train/experiments.hpp"

namespace pib::train {
namespace {

constexpr BinaryFormat kMessage{"PIBMSG", 1, "rank message"};
constexpr BinaryFormat kRankCheckpoint{"PIBRANK", 1, "rank checkpoint"};

enum class Phase : std::uint32_t { init, training, evaluation, report };
constexpr std::array<const char*, 4> kPhaseNames{"init", "training", "evaluation", "report"};
enum class Kind : std::uint32_t { features = 1, report = 2 };

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Traffic {
  std::int64_t messages = 0, bytes = 0;
};

// What rank r holds and reports.
struct RankState {
  int rank = 0;
  int ranks = 1;
  std::unique_ptr<units::Unit> unit;
  InputNorm norm;   // the map of the unit's training inputs
  Matrix received;  // the unit's training inputs from the init pass (rank > 0)
  const Matrix* input = nullptr;
  std::array<Traffic, 4> sent{};
  std::array<double, 3> wall_s{};  // init, training, evaluation
  int epochs = 0, epochs_done = 0;
  EpochStats last_epoch;
  double readout_accuracy = 0;  // a readout on this unit's measured outputs of the trained pipeline
  units::DeviceLedger ledger;
};

// Rank r's messages: each counted in the phase it belongs to.
class Link {
 public:
  Link(Transport& transport, RankState& state) : t_(transport), s_(state) {}

  void send(int to, Phase phase, std::string bytes) {
    auto& traffic = s_.sent[static_cast<std::size_t>(phase)];
    ++traffic.messages;
    traffic.bytes += static_cast<std::int64_t>(bytes.size());
    t_.send(to, std::move(bytes));
  }
  // The next message from `from`, opened: kind, sender and phase checked.
  BinaryReader receive(int from, Kind kind, Phase phase, std::istringstream& holder) {
    holder.str(t_.receive(from));
    BinaryReader in(kMessage, holder, "message from rank " + std::to_string(from));
    const auto got_kind = in.value<std::uint32_t>();
    const auto sender = in.value<std::uint32_t>();
    const auto got_phase = in.value<std::uint32_t>();
    if (sender != static_cast<std::uint32_t>(from))
      in.fail("it says it comes from rank ", sender);
    if (got_kind != static_cast<std::uint32_t>(kind) || got_phase != static_cast<std::uint32_t>(phase))
      in.fail("expected a ", kind == Kind::features ? "features" : "report", " message of phase ",
              kPhaseNames[static_cast<std::size_t>(phase)], ", got kind ", got_kind, " of phase ", got_phase);
    return in;
  }

 private:
  Transport& t_;
  RankState& s_;
};

BinaryWriter open_message(Kind kind, int sender, Phase phase) {
  BinaryWriter w(kMessage);
  w.value(static_cast<std::uint32_t>(kind));
  w.value(static_cast<std::uint32_t>(sender));
  w.value(static_cast<std::uint32_t>(phase));
  return w;
}

void write_matrix(BinaryWriter& w, const Matrix& m) {
  w.value(static_cast<std::uint64_t>(m.rows()));
  w.value(static_cast<std::uint64_t>(m.cols()));
  w.array(std::span<const double>(m.data(), static_cast<std::size_t>(m.size())));
}

// A matrix of exactly rows x cols (the receiver knows both), or an error naming the sender.
Matrix read_matrix(BinaryReader& in, const char* what, Eigen::Index rows, Eigen::Index cols) {
  const auto r = in.value<std::uint64_t>();
  const auto c = in.value<std::uint64_t>();
  if (r != static_cast<std::uint64_t>(rows) || c != static_cast<std::uint64_t>(cols))
    in.fail(what, " is ", r, " x ", c, ", expected ", rows, " x ", cols);
  Matrix m(rows, cols);
  in.array(std::span<double>(m.data(), static_cast<std::size_t>(m.size())));
  return m;
}

std::filesystem::path checkpoint_file(const RunOptions& o, int rank) {
  return o.checkpoint_dir / ("rank" + std::to_string(rank)) / "unit.pib";
}

// ---- init ----------------------------------------------------------------------------------------------

void init_rank(Context& ctx, Link& link, RankState& s) {
  const auto start = Clock::now();
  s.unit = ctx.make_unit(static_cast<std::size_t>(s.rank));
  if (s.rank == 0) {
    s.input = &ctx.data.train.features;
  } else {
    std::istringstream holder;
    auto in = link.receive(s.rank - 1, Kind::features, Phase::init, holder);
    s.received = read_matrix(in, "the training inputs", static_cast<Eigen::Index>(ctx.data.train.size()),
                             s.unit->input_dim());
    in.finish();
    s.input = &s.received;
  }
  Rng rng = ctx.stream(Stream::rank_init, static_cast<std::uint64_t>(s.rank));
  s.norm = ctx.input_norm(*s.input, static_cast<std::size_t>(s.rank));
  ctx.calibrate(*s.unit, s.norm, *s.input, rng);
  if (s.rank + 1 < s.ranks) {
    auto w = open_message(Kind::features, s.rank, Phase::init);
    write_matrix(w, ctx.measure_split(*s.unit, s.norm, *s.input, rng));
    link.send(s.rank + 1, Phase::init, w.finish());
  }
  s.wall_s[0] = seconds_since(start);
}

// ---- training ------------------------------------------------------------------------------------------

// A rank's training state after `epochs_done` epochs. Resuming programs the device with `params` using
// the generator as the last deploy found it (`before_deploy`) and calibrates it as the end-of-epoch
// calibration did (`before_calibration`), then goes on with `rng` as the epoch left it. A device whose deploy
// does not depend on what it held before (optical, digital) is then exactly as it was, and the resumed run
// ends as the uninterrupted one; a memristor crossbar is programmed afresh (every cell gets new programming
// error, where the interrupted chip kept the error of cells its last deploys left unchanged).
struct RankCheckpoint {
  int epochs_done = 0;
  Eigen::VectorXd params;
  AdamState adam;
  Rng rng, before_deploy, before_calibration;
  EpochStats last_epoch;
};

void save_checkpoint(const RunOptions& o, const Context& ctx, const RankState& s, const RankCheckpoint& c) {
  BinaryWriter w(kRankCheckpoint);
  w.string(ctx.cfg.to_json().dump());
  w.value(static_cast<std::uint32_t>(s.rank));
  w.value(static_cast<std::uint32_t>(s.ranks));
  w.value(static_cast<std::int32_t>(c.epochs_done));
  w.eigen(c.params);
  w.eigen(c.adam.m);
  w.eigen(c.adam.v);
  w.value(c.adam.t);
  w.rng(c.rng);
  w.rng(c.before_deploy);
  w.rng(c.before_calibration);
  for (double v : {c.last_epoch.loss, c.last_epoch.i_xz, c.last_epoch.i_yz, c.last_epoch.sigma_z})
    w.value(v);
  w.value(static_cast<std::int32_t>(c.last_epoch.count));
  const auto file = checkpoint_file(o, s.rank);
  std::filesystem::create_directories(file.parent_path());
  w.commit(file);
}

RankCheckpoint load_checkpoint(const RunOptions& o, const Context& ctx, const RankState& s) {
  const auto file = checkpoint_file(o, s.rank);
  if (!std::filesystem::exists(file))
    raise<FileError>("rank ", s.rank, ": no checkpoint to resume from at ", file.string());
  BinaryReader in(kRankCheckpoint, file);
  if (in.string() != ctx.cfg.to_json().dump())
    in.fail("it was written by a run of another config (rank ", s.rank, ")");
  const auto rank = in.value<std::uint32_t>();
  const auto ranks = in.value<std::uint32_t>();
  if (rank != static_cast<std::uint32_t>(s.rank) || ranks != static_cast<std::uint32_t>(s.ranks))
    in.fail("it is rank ", rank, " of ", ranks, "'s, not rank ", s.rank, " of ", s.ranks, "'s");
  RankCheckpoint c;
  c.epochs_done = in.value<std::int32_t>();
  if (c.epochs_done < 0 || c.epochs_done > s.epochs)
    in.fail("rank ", s.rank, " has ", c.epochs_done, " epochs done of ", s.epochs);
  const auto P = s.unit->parameter_count();
  c.params = in.eigen(P);
  c.adam.m = in.eigen(P);
  c.adam.v = in.eigen(P);
  c.adam.t = in.value<std::int64_t>();
  in.rng(c.rng);
  in.rng(c.before_deploy);
  in.rng(c.before_calibration);
  for (double* v : {&c.last_epoch.loss, &c.last_epoch.i_xz, &c.last_epoch.i_yz, &c.last_epoch.sigma_z})
    *v = in.value<double>();
  c.last_epoch.count = in.value<std::int32_t>();
  in.finish();
  return c;
}

void train_rank(Context& ctx, const RunOptions& o, RankState& s) {
  const auto start = Clock::now();
  units::Unit& unit = *s.unit;
  UnitTrainer t(unit, ctx.cfg.optimizer);
  data::MiniBatcher batches(ctx.data.train, static_cast<std::size_t>(ctx.cfg.batch_size), true);
  const long per_epoch = static_cast<long>(batches.batches_per_epoch());
  const long total = per_epoch * s.epochs;
  RankCheckpoint c;
  c.rng = ctx.stream(Stream::rank_training, static_cast<std::uint64_t>(s.rank));
  if (o.resume) {
    c = load_checkpoint(o, ctx, s);
    t.params = c.params;
    t.adam.state() = c.adam;
    if (c.epochs_done > 0) {  // program and calibrate the device as the checkpointed run did
      Rng again = c.before_deploy;
      unit.deploy(t.params, again);
      again = c.before_calibration;
      ctx.calibrate(unit, s.norm, *s.input, again);
      if (again.state() != c.rng.state())  // the calibration drew another number of values
        raise<StateError>("rank ", s.rank, ": resuming from ", checkpoint_file(o, s.rank).string(),
                          " does not reproduce the calibration the run did after epoch ", c.epochs_done);
    }
    s.last_epoch = c.last_epoch;
  } else if (!o.checkpoint_dir.empty()) {
    c.params = t.params;
    c.adam = t.adam.state();
    save_checkpoint(o, ctx, s, c);
  }
  Rng& rng = c.rng;
  long step = per_epoch * c.epochs_done;
  for (int epoch = c.epochs_done; epoch < s.epochs; ++epoch) {
    const EpochStats stats = pib_epoch(ctx, t, *s.input, s.norm, batches, step, total, rng, nullptr);
    c.before_calibration = rng;
    ctx.calibrate(unit, s.norm, *s.input, rng);
    s.last_epoch = stats;
    if (!o.checkpoint_dir.empty()) {
      c.epochs_done = epoch + 1;
      c.params = t.params;
      c.adam = t.adam.state();
      c.before_deploy = t.before_deploy;
      c.last_epoch = stats;
      save_checkpoint(o, ctx, s, c);
    }
    auto rec = stats.to_json();
    rec["type"] = "epoch";
    rec["stage"] = "pib";
    rec["schedule"] = "decentralised";
    rec["rank"] = s.rank;
    rec["unit"] = s.rank;
    rec["epoch"] = epoch + 1;
    ctx.record(rec);
    ctx.progress({"pib rank " + std::to_string(s.rank), s.rank, epoch + 1, s.epochs, 0, 0, 0,
                  stats.i_xz / std::max(stats.count, 1), stats.i_yz / std::max(stats.count, 1), std::nullopt});
  }
  s.epochs_done = s.epochs;
  s.wall_s[1] = seconds_since(start);
}

// ---- evaluation ----------------------------------------------------------------------------------------

void evaluate_rank(Context& ctx, Link& link, RankState& s) {
  const auto start = Clock::now();
  units::Unit& unit = *s.unit;
  const Matrix *train_in = &ctx.data.train.features, *test_in = &ctx.data.test.features;
  Matrix received_train, received_test;
  if (s.rank > 0) {
    std::istringstream holder;
    auto in = link.receive(s.rank - 1, Kind::features, Phase::evaluation, holder);
    received_train = read_matrix(in, "the training features", static_cast<Eigen::Index>(ctx.data.train.size()),
                                 unit.input_dim());
    received_test =
        read_matrix(in, "the test features", static_cast<Eigen::Index>(ctx.data.test.size()), unit.input_dim());
    in.finish();
    train_in = &received_train;
    test_in = &received_test;
  }
  Rng rng = ctx.stream(Stream::rank_evaluation, static_cast<std::uint64_t>(s.rank));
  const auto norm = ctx.input_norm(*train_in, static_cast<std::size_t>(s.rank));
  ctx.calibrate(unit, norm, *train_in, rng);
  const Matrix out_train = ctx.measure_split(unit, norm, *train_in, rng);
  const Matrix out_test = ctx.measure_split(unit, norm, *test_in, rng);
  if (s.rank + 1 < s.ranks) {
    auto w = open_message(Kind::features, s.rank, Phase::evaluation);
    write_matrix(w, out_train);
    write_matrix(w, out_test);
    link.send(s.rank + 1, Phase::evaluation, w.finish());
  }
  s.readout_accuracy = ctx.fit_readout(out_train, out_test, rng);
  s.ledger = unit.ledger();
  s.wall_s[2] = seconds_since(start);
  ctx.record({{"type", "unit_done"},
              {"stage", "pib"},
              {"schedule", "decentralised"},
              {"rank", s.rank},
              {"unit", s.rank},
              {"readout_accuracy", s.readout_accuracy}});
}

// ---- report --------------------------------------------------------------------------------------------

void write_report(BinaryWriter& w, const RankState& s) {
  for (const auto& t : s.sent) {
    w.value(t.messages);
    w.value(t.bytes);
  }
  for (double v : s.wall_s)
    w.value(v);
  w.value(static_cast<std::int32_t>(s.epochs_done));
  for (double v : {s.last_epoch.loss, s.last_epoch.i_xz, s.last_epoch.i_yz, s.last_epoch.sigma_z})
    w.value(v);
  w.value(static_cast<std::int32_t>(s.last_epoch.count));
  w.value(s.readout_accuracy);
  w.value(s.ledger.measure_us);
  w.value(s.ledger.deploy_us);
  w.value(s.ledger.measures);
  w.value(s.ledger.deploys);
}

void read_report(BinaryReader& in, RankState& s) {
  for (auto& t : s.sent) {
    t.messages = in.value<std::int64_t>();
    t.bytes = in.value<std::int64_t>();
  }
  for (double& v : s.wall_s)
    v = in.value<double>();
  s.epochs_done = in.value<std::int32_t>();
  for (double* v : {&s.last_epoch.loss, &s.last_epoch.i_xz, &s.last_epoch.i_yz, &s.last_epoch.sigma_z})
    *v = in.value<double>();
  s.last_epoch.count = in.value<std::int32_t>();
  s.readout_accuracy = in.value<double>();
  s.ledger.measure_us = in.value<double>();
  s.ledger.deploy_us = in.value<double>();
  s.ledger.busy_us = s.ledger.measure_us + s.ledger.deploy_us;
  s.ledger.measures = in.value<std::uint64_t>();
  s.ledger.deploys = in.value<std::uint64_t>();
}

// Rank r > 0: its report to rank 0.
void send_report(Link& link, RankState& s) {
  auto w = open_message(Kind::report, s.rank, Phase::report);
  write_report(w, s);
  link.send(0, Phase::report, w.finish());
}

// Rank 0: every other rank's report into `all` (all[0] is rank 0's own state), then the run's summary.
void gather_reports(Context& ctx, Link& link, std::vector<RankState*>& all, Traffic& report_traffic) {
  for (int r = 1; r < static_cast<int>(all.size()); ++r) {
    std::istringstream holder;
    auto in = link.receive(r, Kind::report, Phase::report, holder);
    read_report(in, *all[static_cast<std::size_t>(r)]);
    in.finish();
    ++report_traffic.messages;
    report_traffic.bytes += static_cast<std::int64_t>(holder.str().size());
  }
  const auto K = all.size();
  std::array<Traffic, 4> traffic{};
  for (const auto* s : all)
    for (std::size_t p = 0; p < 3; ++p) {
      traffic[p].messages += s->sent[p].messages;
      traffic[p].bytes += s->sent[p].bytes;
    }
  traffic[3] = report_traffic;
  nlohmann::json j;
  j["ranks"] = K;
  for (std::size_t p = 0; p < 4; ++p)
    j["traffic"][kPhaseNames[p]] = {{"messages", traffic[p].messages}, {"bytes", traffic[p].bytes}};
  nlohmann::json ranks = nlohmann::json::array();
  double training_wall = 0;
  for (const auto* s : all) {
    training_wall = std::max(training_wall, s->wall_s[1]);
    ranks.push_back({{"rank", s->rank},
                     {"unit", s->rank},
                     {"kind", ctx.unit_configs[static_cast<std::size_t>(s->rank)].value("kind", "?")},
                     {"epochs", s->epochs_done},
                     {"last_epoch", s->last_epoch.to_json()},
                     {"readout_accuracy", s->readout_accuracy},
                     {"wall_s", {{"init", s->wall_s[0]}, {"training", s->wall_s[1]}, {"evaluation", s->wall_s[2]}}},
                     {"device", {{"simulated", true},
                                 {"measure_us", s->ledger.measure_us},
                                 {"deploy_us", s->ledger.deploy_us},
                                 {"busy_us", s->ledger.busy_us},
                                 {"measures", s->ledger.measures},
                                 {"deploys", s->ledger.deploys}}}});
    ctx.result.unit_readout_accuracy.push_back(s->readout_accuracy);
  }
  j["rank"] = ranks;
  j["training_wall_s"] = training_wall;  // the slowest rank's training phase
  ctx.result.decentralised = j;
  ctx.result.pib_deployed = all.back()->readout_accuracy;
}

// Runs `fn`, rethrowing its error with the rank named (the error's kind kept).
template <typename Fn>
void as_rank(int rank, Fn&& fn) {
  try {
    fn();
  } catch (const ConfigError& e) {
    raise<ConfigError>("rank ", rank, ": ", e.what());
  } catch (const FileError& e) {
    raise<FileError>("rank ", rank, ": ", e.what());
  } catch (const std::exception& e) {
    raise<StateError>("rank ", rank, ": ", e.what());
  }
}

}  // namespace

void run_decentralised(Context& ctx, const RunOptions& options) {
  const int K = static_cast<int>(ctx.unit_configs.size());
  auto make_state = [&](int r) {
    RankState s;
    s.rank = r;
    s.ranks = K;
    s.epochs = ctx.cfg.epochs_of(static_cast<std::size_t>(r));
    return s;
  };
  if (options.transport) {  // this process is one rank of the job
    Transport& t = *options.transport;
    if (t.size() != K)
      raise<ConfigError>("schedule decentralised runs unit r on rank r: the config has ", K, " unit",
                         K == 1 ? "" : "s", ", so it needs ", K, " rank", K == 1 ? "" : "s", " (mpirun -np ", K,
                         "); this job has ", t.size());
    RankState s = make_state(t.rank());
    Link link(t, s);
    ctx.result.rank = s.rank;
    as_rank(s.rank, [&] {
      init_rank(ctx, link, s);
      train_rank(ctx, options, s);
      evaluate_rank(ctx, link, s);
    });
    if (s.rank != 0) {
      send_report(link, s);
      return;
    }
    std::vector<RankState> others;
    for (int r = 1; r < K; ++r)
      others.push_back(make_state(r));
    std::vector<RankState*> all{&s};
    for (auto& o : others)
      all.push_back(&o);
    Traffic report;
    gather_reports(ctx, link, all, report);
    return;
  }
  // Every rank in this process.
  auto endpoints = LocalTransport::group(K);
  std::vector<RankState> states;
  for (int r = 0; r < K; ++r)
    states.push_back(make_state(r));
  std::vector<Link> links;
  for (int r = 0; r < K; ++r)
    links.emplace_back(endpoints[static_cast<std::size_t>(r)], states[static_cast<std::size_t>(r)]);
  for (int r = 0; r < K; ++r)
    as_rank(r, [&] { init_rank(ctx, links[static_cast<std::size_t>(r)], states[static_cast<std::size_t>(r)]); });
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(K));
  tbb::task_group group;
  for (int r = 0; r < K; ++r)
    group.run([&, r] {
      try {
        as_rank(r, [&] { train_rank(ctx, options, states[static_cast<std::size_t>(r)]); });
      } catch (...) {
        errors[static_cast<std::size_t>(r)] = std::current_exception();
      }
    });
  group.wait();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  for (int r = 0; r < K; ++r)
    as_rank(r, [&] { evaluate_rank(ctx, links[static_cast<std::size_t>(r)], states[static_cast<std::size_t>(r)]); });
  for (int r = 1; r < K; ++r)
    send_report(links[static_cast<std::size_t>(r)], states[static_cast<std::size_t>(r)]);
  std::vector<RankState*> all;
  for (auto& s : states)
    all.push_back(&s);
  Traffic report;
  gather_reports(ctx, links[0], all, report);
}

}  // namespace pib::train
