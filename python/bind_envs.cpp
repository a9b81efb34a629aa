// pib.envs: pib's environments (and any registered id) with Gymnasium's API, and VectorEnv's batches as NumPy
// arrays that view its buffers.

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "common/random.hpp"
#include "envs/registry.hpp"
#include "envs/vector_env.hpp"
#include "python/bindings.hpp"
#include "python/bridge.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace pib::python {
namespace {

py::array_t<float> floats(std::span<const float> v) {
  return py::array_t<float>(static_cast<py::ssize_t>(v.size()), v.data());  // a copy
}

// A read-only array over memory `owner` keeps alive.
template <typename T>
py::array view(const T* data, std::vector<py::ssize_t> shape, py::handle owner) {
  py::array a(py::dtype::of<T>(), std::move(shape), {}, data, owner);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

// One environment with Gymnasium's API.
class Env {
 public:
  explicit Env(std::unique_ptr<envs::Environment> env) : env_(std::move(env)) {}
  envs::Environment& get() { return *env_; }
  py::tuple reset(std::optional<std::uint64_t> seed) {
    std::span<const float> o;
    {
      py::gil_scoped_release free;  // a Python environment takes the GIL itself
      o = seed ? env_->reset(*seed) : env_->reset();
    }
    return py::make_tuple(floats(o), py::dict());
  }
  py::tuple step(int action) {
    envs::StepResult r;
    {
      py::gil_scoped_release free;
      r = env_->step(action);
    }
    return py::make_tuple(floats(r.observation), r.reward, r.terminated, r.truncated, py::dict());
  }

 private:
  std::unique_ptr<envs::Environment> env_;
};

// N copies stepped together; the arrays it returns view its buffers (the next reset or step overwrites them).
class Vector {
 public:
  Vector(const std::string& id, std::size_t n, std::uint64_t seed) : env_(id, n), seed_(seed) {}
  envs::VectorEnv& get() { return env_; }
  std::uint64_t seed() const { return seed_; }

 private:
  envs::VectorEnv env_;
  std::uint64_t seed_;
};

}  // namespace

void bind_envs(py::module_& m) {
  py::class_<envs::Discrete>(m, "Discrete", "Gymnasium's Discrete(n): the actions 0..n-1")
      .def_readonly("n", &envs::Discrete::n)
      .def("contains", &envs::Discrete::contains)
      .def("__repr__", [](const envs::Discrete& d) { return "Discrete(" + std::to_string(d.n) + ")"; });
  py::class_<envs::Box>(m, "Box", "Gymnasium's Box of float32 observations")
      .def_property_readonly("shape", [](const envs::Box& b) { return py::tuple(py::cast(b.shape)); })
      .def_property_readonly("low", [](const envs::Box& b) { return floats(b.low); })
      .def_property_readonly("high", [](const envs::Box& b) { return floats(b.high); })
      .def_property_readonly("dtype", [](const envs::Box&) { return py::dtype::of<float>(); })
      .def("contains", [](const envs::Box& b, py::array_t<float, py::array::c_style | py::array::forcecast> x) {
        return b.contains(std::span<const float>(x.data(), static_cast<std::size_t>(x.size())));
      })
      .def("__repr__", [](const envs::Box& b) { return "Box(" + std::to_string(b.size()) + " float32 values)"; });

  py::class_<Env>(m, "Env", "An environment with Gymnasium's API (made by pib.envs.make)")
      .def_property_readonly("id", [](Env& e) { return e.get().id(); })
      .def_property_readonly("action_space", [](Env& e) { return e.get().action_space(); })
      .def_property_readonly("observation_space", [](Env& e) { return e.get().observation_space(); })
      .def_property_readonly("max_episode_steps", [](Env& e) { return e.get().max_episode_steps(); })
      .def_property_readonly("reward_threshold", [](Env& e) { return e.get().reward_threshold(); })
      .def("reset", &Env::reset, py::kw_only(), "seed"_a = py::none(),
           "Starts an episode (reseeded when seed is given): (observation, info)")
      .def("step", &Env::step, "action"_a,
           "One step: (observation, reward, terminated, truncated, info)")
      .def("close", [](Env&) {})
      .def("__repr__", [](Env& e) { return "<pib.envs.Env " + e.get().id() + ">"; });

  py::class_<Vector>(m, "VectorEnv",
                     "n copies of one environment, stepped together with next-step auto-reset; the arrays "
                     "returned view its buffers (read-only; the next reset or step overwrites them)")
      .def(py::init<const std::string&, std::size_t, std::uint64_t>(), "id"_a, "n"_a, "seed"_a = 0)
      .def_property_readonly("num_envs", [](Vector& v) { return v.get().num_envs(); })
      .def_property_readonly("single_action_space", [](Vector& v) { return v.get().env(0).action_space(); })
      .def_property_readonly("single_observation_space",
                             [](Vector& v) { return v.get().env(0).observation_space(); })
      .def(
          "reset",
          [](py::object self, std::optional<std::uint64_t> seed) {
            auto& v = self.cast<Vector&>();
            {
              py::gil_scoped_release free;
              v.get().reset(seed.value_or(v.seed()));
            }
            const auto n = static_cast<py::ssize_t>(v.get().num_envs());
            return py::make_tuple(
                view(v.get().observations().data(), {n, static_cast<py::ssize_t>(v.get().observation_dim())}, self),
                py::dict());
          },
          py::kw_only(), "seed"_a = py::none(),
          "Resets copy i with a seed derived from (seed, i); seed defaults to the constructor's: (observations, info)")
      .def(
          "step",
          [](py::object self, py::array_t<int, py::array::c_style | py::array::forcecast> actions) {
            auto& v = self.cast<Vector&>();
            {
              py::gil_scoped_release free;
              v.get().step(std::span<const int>(actions.data(), static_cast<std::size_t>(actions.size())));
            }
            auto& e = v.get();
            const auto n = static_cast<py::ssize_t>(e.num_envs());
            static_assert(sizeof(bool) == sizeof(std::uint8_t));
            return py::make_tuple(
                view(e.observations().data(), {n, static_cast<py::ssize_t>(e.observation_dim())}, self),
                view(e.rewards().data(), {n}, self),
                view(reinterpret_cast<const bool*>(e.terminated().data()), {n}, self),
                view(reinterpret_cast<const bool*>(e.truncated().data()), {n}, self), py::dict());
          },
          "actions"_a, "One step of every copy: (observations, rewards, terminated, truncated, info)");

  py::class_<Rng>(m, "Rng",
                  "The generator pib's native environments draw from (xoshiro256++), so that an environment "
                  "written in Python can reproduce a native one's resets")
      .def(py::init<std::uint64_t>(), "seed"_a = 0)
      .def("reseed", &Rng::reseed, "seed"_a)
      .def("uniform", py::overload_cast<double, double>(&Rng::uniform), "low"_a = 0.0, "high"_a = 1.0,
           "A double uniform in [low, high)")
      .def("below", &Rng::below, "n"_a, "An integer uniform in [0, n)")
      .def("__copy__", [](const Rng& r) { return Rng(r); })
      .def("__deepcopy__", [](const Rng& r, py::dict) { return Rng(r); }, "memo"_a);

  m.def(
      "make", [](const std::string& id) { return Env(envs::make(id)); }, "id"_a,
      "A new environment of a registered id (CartPole-v1, Acrobot-v1, MountainCar-v0, python:MODULE:FACTORY, ...)");
  m.def("registered_ids", &envs::registered_ids, "Every registered id");
  m.def(
      "register",
      [](const std::string& id, py::object factory) { envs::register_environment(id, python_factory(id, factory)); },
      "id"_a, "factory"_a,
      "Registers a Python environment (a function or class with Gymnasium's API) under `id` for this process, "
      "so that pib.envs.make and the agent's config can name it");
}

}  // namespace pib::python
