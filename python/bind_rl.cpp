// pib.rl: the agent's trainer, with the run directory `pib rl` writes (agent/run.hpp).

#include <filesystem>
#include <optional>
#include <utility>

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "agent/run.hpp"
#include "common/run_dir.hpp"  // read_json_file
#include "python/bindings.hpp"
#include "python/bridge.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace pib::python {
namespace {

// Whether this thread is Python's main thread: only there does pib.rl replace the SIGINT handler for a run
// (Python's own handler comes back afterwards).
bool on_main_thread() {
  return PyThread_get_thread_ident() ==
         py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();
}

// A config given as a dict or as a path, and the run directory's stem (the file's name, or "rl").
std::pair<nlohmann::json, std::string> read_config(py::handle config) {
  if (py::isinstance<py::dict>(config)) {
    auto d = py::reinterpret_borrow<py::dict>(config);
    py::dict copy;
    for (const auto& [k, v] : d)
      copy[k] = v;
    // A Python environment (object, class or function) becomes an id of this process's registry.
    if (copy.contains("env") && !py::isinstance<py::str>(copy["env"]))
      copy["env"] = py::str(register_object(copy["env"]));
    return {from_python(copy), "rl"};
  }
  const auto path = py::str(py::module_::import("os").attr("fspath")(config)).cast<std::string>();
  return {read_json_file(path), std::filesystem::path(path).stem().string()};
}

class Trainer {
 public:
  Trainer(py::handle config, const std::string& out, bool progress) : progress_(progress) {
    const auto [j, stem] = read_config(config);
    const auto cfg = agent::RlConfig::from_json(j);
    py::gil_scoped_release free;  // making a Python environment takes the GIL itself
    run_ = agent::RlRun::start(cfg, out, stem);
  }
  explicit Trainer(std::unique_ptr<agent::RlRun> run, bool progress) : run_(std::move(run)), progress_(progress) {}

  py::object run(py::object on_episode, py::object on_interval, int eval_episodes) {
    agent::Callbacks cb;
    if (!on_episode.is_none())
      cb.on_episode = [&](const agent::EpisodeRecord& e) {
        py::gil_scoped_acquire gil;
        on_episode(to_python(agent::episode_record(e)));
      };
    if (!on_interval.is_none())
      cb.on_interval = [&](const agent::IntervalMetrics& im) {
        py::gil_scoped_acquire gil;
        on_interval(to_python(agent::interval_record(im)));
      };
    agent::Progress say;
    if (progress_)  // through Python's sys.stderr, so that a notebook shows it
      say = [](const std::string& text, bool final) {
        py::gil_scoped_acquire gil;
        auto err = py::module_::import("sys").attr("stderr");
        const bool tty = py::hasattr(err, "isatty") && err.attr("isatty")().cast<bool>();
        err.attr("write")(tty ? "\r\033[K" + std::string("pib.rl: ") + text + (final ? "\n" : "")
                              : "pib.rl: " + text + "\n");
        err.attr("flush")();
      };
    nlohmann::json summary;
    bool interrupted = false;
    {
      std::optional<agent::StopOnInterrupt> interrupt;
      if (on_main_thread()) interrupt.emplace(run_->trainer());
      py::gil_scoped_release free;
      summary = run_->run(cb, say, eval_episodes);
      interrupted = interrupt && interrupt->fired();
    }
    if (interrupted) {
      PyErr_SetString(PyExc_KeyboardInterrupt,
                      ("interrupted; the checkpoint is in " + run_->dir().string() +
                       " (pib.rl.Trainer.resume continues it)")
                          .c_str());
      throw py::error_already_set();
    }
    return to_python(summary);
  }

  std::vector<double> evaluate(int episodes, std::optional<std::uint64_t> seed) {
    if (episodes <= 0) raise<InvalidArgument>("episodes must be > 0, got ", episodes);
    const auto s = seed.value_or(derive_seed(run_->trainer().config().seed, Stream::evaluation));
    py::gil_scoped_release free;
    return run_->trainer().evaluate(episodes, s);
  }

  void stop() { run_->trainer().request_stop(); }

  void save(const std::filesystem::path& path) {
    py::gil_scoped_release free;
    run_->trainer().save_checkpoint(path);
  }

  agent::RlRun& get() { return *run_; }

 private:
  std::unique_ptr<agent::RlRun> run_;
  bool progress_;
};

}  // namespace

void bind_rl(py::module_& m) {
  py::class_<Trainer>(m, "Trainer",
                      "An RL training run: the agent of `pib rl` with its run directory (config.json, "
                      "metrics.jsonl, checkpoints, summary.json)")
      .def(py::init<py::handle, const std::string&, bool>(), "config"_a, "out"_a = "", "progress"_a = true,
           "config: a dict (the schema of pib rl's JSON configs; `env` may be a registered id or a Python "
           "environment, class or function with Gymnasium's API) or a path to a JSON config. out: the run "
           "directory (default runs/<config>-seed<S>). progress: print a progress line to stderr.")
      .def("run", &Trainer::run, "on_episode"_a = py::none(), "on_interval"_a = py::none(),
           "eval_episodes"_a = 100,
           "Trains until total_steps or the solve point; calls on_episode(record) and on_interval(record) "
           "with the metrics.jsonl records; returns summary.json's content. Ctrl-C stops between two steps, "
           "writes a checkpoint and raises KeyboardInterrupt.")
      .def("evaluate", &Trainer::evaluate, "episodes"_a = 100, "seed"_a = py::none(),
           "Greedy returns of the current network over fresh episodes")
      .def("stop", &Trainer::stop,
           "Asks the running run() to stop between two steps (e.g. from a callback): it writes a checkpoint "
           "and returns a summary with interrupted = True")
      .def("save", &Trainer::save, "path"_a, "Writes a checkpoint (atomically)")
      .def_static(
          "resume",
          [](const std::filesystem::path& path, bool progress) {
            std::unique_ptr<agent::RlRun> run;
            {
              py::gil_scoped_release free;
              run = agent::RlRun::resume(path);
            }
            return Trainer(std::move(run), progress);
          },
          "path"_a, "progress"_a = true, "Continues the run in a run directory (or of a checkpoint file) from its latest checkpoint")
      .def_property_readonly("run_dir", [](Trainer& t) { return t.get().dir(); })
      .def_property_readonly("config", [](Trainer& t) { return to_python(t.get().trainer().config().to_json()); })
      .def_property_readonly("env_steps", [](Trainer& t) { return t.get().trainer().env_steps(); });
}

}  // namespace pib::python
