#include "python/bridge.hpp"

#include <atomic>
#include <climits>
#include <cmath>
#include <mutex>

#include <pybind11/embed.h>
#include <pybind11/numpy.h>

namespace py = pybind11;

namespace pib::python {
namespace {

// A thread without a Python thread state (an actor thread) gets one on its first call and keeps it until it
// exits, so that each later call only takes and drops the GIL.
struct ThreadState {
  PyGILState_STATE state;
  PyThreadState* saved;
  ThreadState() : state(PyGILState_Ensure()), saved(PyEval_SaveThread()) {}
  ~ThreadState() {
    if (!Py_IsInitialized()) return;
    PyEval_RestoreThread(saved);
    PyGILState_Release(state);
  }
};

// Holds the GIL for its scope (re-entrant).
class Gil {
 public:
  Gil() {
    if (PyGILState_GetThisThreadState() == nullptr) {
      thread_local ThreadState keep;
    }
    state_ = PyGILState_Ensure();
  }
  ~Gil() { PyGILState_Release(state_); }
  Gil(const Gil&) = delete;
  Gil& operator=(const Gil&) = delete;

 private:
  PyGILState_STATE state_;
};

// Python objects that threads may share and copy without the GIL: deleted under it (and left alone once the
// interpreter is gone).
template <typename T>
std::shared_ptr<T> under_gil(T* p) {
  return std::shared_ptr<T>(p, [](T* q) {
    if (!Py_IsInitialized()) return;
    Gil gil;
    delete q;
  });
}

// The error being handled, with its Python traceback.
std::string describe(py::error_already_set& e) {
  try {
    const auto none = py::none();
    const auto arg = [&](const py::object& o) -> py::handle { return o ? o : none; };
    const auto lines =
        py::module_::import("traceback").attr("format_exception")(arg(e.type()), arg(e.value()), arg(e.trace()));
    std::string out;
    for (const auto& l : lines)
      out += l.cast<std::string>();
    while (!out.empty() && out.back() == '\n')
      out.pop_back();
    return out;
  } catch (const std::exception&) {
    return e.what();
  }
}

std::string type_name(py::handle o) { return py::str(py::type::handle_of(o).attr("__name__")).cast<std::string>(); }

// spec.<key> (Gymnasium's EnvSpec) or the object's own attribute <key>, if either is set and not None.
py::object spec_value(const py::object& env, const char* key) {
  if (py::hasattr(env, "spec")) {
    const auto spec = env.attr("spec");
    if (!spec.is_none() && py::hasattr(spec, key) && !spec.attr(key).is_none()) return spec.attr(key);
  }
  if (py::hasattr(env, key) && !env.attr(key).is_none()) return env.attr(key);
  return py::none();
}

std::vector<float> bound(const py::object& space, const char* key, std::size_t n, const std::string& id) {
  auto a = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(space.attr(key));
  if (!a) raise<envs::EnvironmentError>("environment ", id, ": observation_space.", key, " is not numeric");
  if (a.size() == 1) return std::vector<float>(n, *a.data());
  if (static_cast<std::size_t>(a.size()) != n)
    raise<envs::EnvironmentError>("environment ", id, ": observation_space.", key, " has ", a.size(),
                                  " values for ", n, " observations");
  return std::vector<float>(a.data(), a.data() + n);
}

}  // namespace

struct PythonEnvironment::Objects {
  py::object env, step, reset, deepcopy;
};

void start_interpreter() {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  if (Py_IsInitialized()) return;
  py::initialize_interpreter(/*init_signal_handlers=*/false);
  PyEval_SaveThread();  // the GIL is taken by whichever thread runs Python code next
}

PythonEnvironment::PythonEnvironment(std::string id, py::object env) : id_(std::move(id)) {
  py_ = under_gil(new Objects{env, py::none(), py::none(), py::none()});
  try {
    for (const char* m : {"reset", "step", "action_space", "observation_space"})
      if (!py::hasattr(env, m))
        raise<envs::EnvironmentError>("environment ", id_, ": a ", type_name(env),
                                      " has no `", m, "`; pib needs Gymnasium's API (reset, step, action_space, "
                                      "observation_space)");
    py_->step = env.attr("step");
    py_->reset = env.attr("reset");
    py_->deepcopy = py::module_::import("copy").attr("deepcopy");
    const auto as = env.attr("action_space");
    if (!py::hasattr(as, "n"))
      raise<envs::EnvironmentError>("environment ", id_, ": the action space (", py::str(as).cast<std::string>(),
                                    ") is not discrete; pib's agent needs Gymnasium's Discrete(n)");
    if (py::hasattr(as, "start") && py::int_(as.attr("start")).cast<long long>() != 0)
      raise<envs::EnvironmentError>("environment ", id_, ": the action space starts at ",
                                    py::str(as.attr("start")).cast<std::string>(), "; pib's actions are 0..n-1");
    const long long n = py::int_(as.attr("n")).cast<long long>();
    if (n < 1 || n > INT_MAX)
      raise<envs::EnvironmentError>("environment ", id_, ": the action space has n = ", n);
    action_space_.n = static_cast<int>(n);
    const auto os = env.attr("observation_space");
    for (const char* m : {"shape", "low", "high"})
      if (!py::hasattr(os, m) || os.attr(m).is_none())
        raise<envs::EnvironmentError>("environment ", id_, ": the observation space (", py::str(os).cast<std::string>(),
                                      ") has no `", m, "`; pib needs a Box of numbers with a fixed shape");
    std::size_t size = 1;
    for (const auto& d : os.attr("shape")) {
      const auto k = d.cast<long long>();
      if (k < 1) raise<envs::EnvironmentError>("environment ", id_, ": the observation shape has a dimension of ", k);
      observation_space_.shape.push_back(static_cast<std::size_t>(k));
      size *= static_cast<std::size_t>(k);
    }
    observation_space_.low = bound(os, "low", size, id_);
    observation_space_.high = bound(os, "high", size, id_);
    const auto steps = spec_value(env, "max_episode_steps");
    max_episode_steps_ = steps.is_none() ? INT_MAX : steps.cast<int>();
    const auto threshold = spec_value(env, "reward_threshold");
    if (!threshold.is_none()) reward_threshold_ = threshold.cast<double>();
  } catch (py::error_already_set& e) {
    raise<envs::EnvironmentError>("environment ", id_, ": reading its spaces raised ", describe(e));
  } catch (const py::cast_error& e) {
    raise<envs::EnvironmentError>("environment ", id_, ": its spaces are not Gymnasium's: ", e.what());
  }
  obs_.assign(observation_space_.size(), 0.0f);
}

PythonEnvironment::~PythonEnvironment() = default;

const py::object& PythonEnvironment::object() const { return py_->env; }

void PythonEnvironment::fail(const std::string& what) const {
  raise<envs::EnvironmentError>("environment ", id_, ", episode ", std::max<std::int64_t>(episode_, 0), ", step ",
                                elapsed_, ": ", what);
}

// Copies an observation into obs_: any numeric array (or sequence) of the declared size.
void PythonEnvironment::read_observation(py::handle obs, const char* call) {
  auto arr = py::array::ensure(obs);
  if (!arr) fail(std::string(call) + " returned an observation that is not an array of numbers: " + py::repr(obs).cast<std::string>());
  const char kind = arr.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b')
    fail(std::string(call) + " returned an observation of dtype " + py::str(arr.dtype()).cast<std::string>() +
         "; pib needs numbers");
  if (static_cast<std::size_t>(arr.size()) != obs_.size()) {
    std::string shape;
    for (py::ssize_t k = 0; k < arr.ndim(); ++k)
      shape += (k ? ", " : "") + std::to_string(arr.shape(k));
    fail(std::string(call) + " returned an observation of shape (" + shape + "); the observation space has " +
         std::to_string(obs_.size()) + " values");
  }
  if (arr.dtype().is(py::dtype::of<float>()) && (arr.flags() & py::array::c_style)) {
    const auto* p = static_cast<const float*>(arr.data());
    std::copy(p, p + obs_.size(), obs_.begin());
  } else if (arr.dtype().is(py::dtype::of<double>()) && (arr.flags() & py::array::c_style)) {
    const auto* p = static_cast<const double*>(arr.data());
    for (std::size_t k = 0; k < obs_.size(); ++k)
      obs_[k] = static_cast<float>(p[k]);
  } else {
    const auto f = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(arr);
    std::copy(f.data(), f.data() + obs_.size(), obs_.begin());
  }
}

std::span<const float> PythonEnvironment::reset_with(std::optional<std::uint64_t> seed) {
  Gil gil;
  ++episode_;
  elapsed_ = 0;
  running_ = false;
  py::object result;
  try {
    result = seed ? py_->reset(py::arg("seed") = py::int_(*seed)) : py_->reset();
  } catch (py::error_already_set& e) {
    fail("reset() raised " + describe(e));
  }
  if (!py::isinstance<py::tuple>(result) || py::len(result) != 2)
    fail("reset() returned " + py::repr(result).cast<std::string>().substr(0, 200) +
         ", not (observation, info) as Gymnasium's API has it");
  read_observation(py::reinterpret_borrow<py::tuple>(result)[0], "reset()");
  running_ = true;
  return obs_;
}

std::span<const float> PythonEnvironment::reset(std::uint64_t seed) { return reset_with(seed); }

std::span<const float> PythonEnvironment::reset() { return reset_with(std::nullopt); }

envs::StepResult PythonEnvironment::step(int action) {
  if (episode_ < 0) raise<envs::StepBeforeResetError>("environment ", id_, ": step before the first reset");
  if (!running_) raise<envs::EpisodeEndedError>("environment ", id_, ": step after the episode ended, without a reset");
  if (!action_space_.contains(action))
    raise<envs::InvalidActionError>("environment ", id_, ": action ", action, " is outside [0, ", action_space_.n, ")");
  Gil gil;
  py::object result;
  try {
    result = py_->step(action);
  } catch (py::error_already_set& e) {
    fail("step(" + std::to_string(action) + ") raised " + describe(e));
  }
  ++elapsed_;
  if (!py::isinstance<py::tuple>(result) || py::len(result) != 5)
    fail("step() returned " + py::repr(result).cast<std::string>().substr(0, 200) +
         ", not (observation, reward, terminated, truncated, info) as Gymnasium's API has it");
  PyObject* items = result.ptr();
  read_observation(PyTuple_GET_ITEM(items, 0), "step()");
  envs::StepResult r;
  r.observation = obs_;
  r.reward = PyFloat_AsDouble(PyTuple_GET_ITEM(items, 1));
  if (r.reward == -1.0 && PyErr_Occurred()) {
    PyErr_Clear();
    fail("step() returned a reward that is not a number: " + py::repr(PyTuple_GET_ITEM(items, 1)).cast<std::string>());
  }
  const int term = PyObject_IsTrue(PyTuple_GET_ITEM(items, 2)), trunc = PyObject_IsTrue(PyTuple_GET_ITEM(items, 3));
  if (term < 0 || trunc < 0) {
    PyErr_Clear();
    fail("step() returned terminated/truncated flags that are not booleans");
  }
  r.terminated = term != 0;
  r.truncated = trunc != 0;
  if (r.terminated || r.truncated) running_ = false;
  return r;
}

std::unique_ptr<envs::Environment> PythonEnvironment::clone() const {
  Gil gil;
  py::object copy;
  try {
    copy = py_->deepcopy(py_->env);
  } catch (py::error_already_set& e) {
    raise<envs::EnvironmentError>("environment ", id_, ": copy.deepcopy raised ", describe(e));
  }
  auto c = std::make_unique<PythonEnvironment>(id_, copy);
  c->obs_ = obs_;
  c->episode_ = episode_;
  c->elapsed_ = elapsed_;
  c->running_ = running_;
  return c;
}

envs::EnvironmentFactory python_factory(const std::string& id, py::object make) {
  auto held = under_gil(new py::object(std::move(make)));
  return [id, held]() -> std::unique_ptr<envs::Environment> {
    Gil gil;
    py::object env;
    try {
      env = (*held)();
    } catch (py::error_already_set& e) {
      raise<envs::EnvironmentError>("environment ", id, ": making it raised ", describe(e));
    }
    return std::make_unique<PythonEnvironment>(id, std::move(env));
  };
}

std::string register_object(py::object env) {
  static std::atomic<int> count{0};
  const auto type = py::type::handle_of(env);
  const bool is_factory = py::isinstance<py::type>(env) || !(py::hasattr(env, "step") && py::hasattr(env, "reset"));
  const std::string name = is_factory && py::hasattr(env, "__qualname__")
                               ? py::str(env.attr("__qualname__")).cast<std::string>()
                               : py::str(type.attr("__qualname__")).cast<std::string>();
  const std::string id = "python-object:" + name + "#" + std::to_string(count++);
  if (is_factory) {
    if (!PyCallable_Check(env.ptr()))
      raise<InvalidArgument>("env: a ", type_name(env), " is neither an environment with Gymnasium's API nor a "
                             "function or class that makes one");
    envs::register_environment(id, python_factory(id, env));
  } else {
    auto deepcopy = py::module_::import("copy").attr("deepcopy");
    envs::register_environment(id, python_factory(id, py::cpp_function([env, deepcopy] { return deepcopy(env); })));
  }
  return id;
}

void register_family() {
  static std::once_flag once;
  std::call_once(once, [] {
    envs::register_family("python:", "python:MODULE:FACTORY", [](const std::string& id) {
      const auto rest = id.substr(7);
      const auto colon = rest.rfind(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size())
        raise<envs::UnknownEnvironmentError>("environment id '", id,
                                             "': a Python environment is python:MODULE:FACTORY, e.g. "
                                             "python:my_envs:make_env (MODULE on PYTHONPATH)");
      start_interpreter();
      Gil gil;
      py::object make;
      try {
        make = py::module_::import(rest.substr(0, colon).c_str()).attr(rest.substr(colon + 1).c_str());
      } catch (py::error_already_set& e) {
        raise<envs::UnknownEnvironmentError>("environment id '", id, "': ", describe(e),
                                             " (is the module on PYTHONPATH?)");
      }
      return python_factory(id, make)();
    });
  });
}

}  // namespace pib::python
