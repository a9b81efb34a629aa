// pib.units: simulated physical units (units/unit.hpp) on NumPy float64 arrays, one sample per row.
//
// A Python Unit owns its device and the random streams of its run-time noise, each derived from the seed
// given to make_unit: measurement noise from Stream::measure, programming noise from Stream::deploy,
// calibration from Stream::calibration and fault choices from Stream::fault (index 0 each). Device work runs
// without the GIL; each stream has its own lock, so concurrent measures of one unit object queue (a deploy
// can still overlap a measure, which then uses the previous parameters, as on the device).

#include <atomic>
#include <mutex>
#include <sstream>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "common/error.hpp"
#include "common/random.hpp"
#include "python/bindings.hpp"
#include "units/registry.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace pib::python {
namespace {

using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;

// A view of a C-contiguous 2-D array with `cols` columns and at least one row; ValueError naming the
// expected shape otherwise.
Eigen::Map<const units::Matrix> batch(const Array& a, Eigen::Index cols, const char* what, const char* dim) {
  if (a.ndim() != 2 || a.shape(1) != cols || a.shape(0) < 1)
    raise<InvalidArgument>(what, ": expected shape (n, ", cols, ") with n >= 1 (", dim, " = ", cols,
                           "), got ", shape_of(a));
  return {a.data(), a.shape(0), a.shape(1)};
}

py::array_t<double> copy(const units::Matrix& m) {
  return py::array_t<double>({m.rows(), m.cols()}, m.data());
}

py::array_t<double> copy(const units::Vector& v) {
  return py::array_t<double>(v.size(), v.data());
}

// What one measurement produced, and which unit object took it (gradient accepts only its own).
struct PyMeasurement {
  units::Measurement m;
  std::uint64_t unit_id = 0;
};

std::uint64_t next_unit_id() {
  static std::atomic<std::uint64_t> id{0};
  return ++id;
}

// A random stream and the lock of the calls that draw from it.
struct NoiseStream {
  NoiseStream(std::uint64_t seed, pib::Stream s) : rng(Rng::derive(seed, s)) {}
  std::mutex mutex;
  Rng rng;
};

class PyUnit {
 public:
  PyUnit(const nlohmann::json& config, std::uint64_t seed)
      : unit_(units::make_unit(config, seed)),
        id_(next_unit_id()),
        seed_(seed),
        measure_(seed, pib::Stream::measure),
        deploy_(seed, pib::Stream::deploy),
        calibration_(seed, pib::Stream::calibration),
        fault_(seed, pib::Stream::fault) {}

  units::Unit& get() const { return *unit_; }
  std::uint64_t seed() const { return seed_; }

  PyMeasurement measure(const Array& X) {
    const auto x = batch(X, unit_->input_dim(), "measure: X", "the unit's input_dim");
    PyMeasurement out;
    out.unit_id = id_;
    py::gil_scoped_release free;
    std::lock_guard lock(measure_.mutex);
    unit_->measure(x, out.m, measure_.rng);
    return out;
  }

  void calibrate(const Array& X) {
    const auto x = batch(X, unit_->input_dim(), "calibrate: X", "the unit's input_dim");
    py::gil_scoped_release free;
    std::lock_guard lock(calibration_.mutex);
    unit_->calibrate(x, calibration_.rng);
  }

  void deploy(const Array& parameters) {
    const auto n = unit_->parameter_count();
    if (parameters.ndim() != 1 || parameters.shape(0) != n)
      raise<InvalidArgument>("deploy: parameters: expected shape (", n,
                             ",) (the unit's parameter_count), got ", shape_of(parameters));
    const Eigen::Map<const units::Vector> p(parameters.data(), n);
    if (!p.allFinite()) raise<InvalidArgument>("deploy: parameters: a value is NaN or infinite");
    py::gil_scoped_release free;
    std::lock_guard lock(deploy_.mutex);
    unit_->deploy(p, deploy_.rng);
  }

  py::array_t<double> gradient(const PyMeasurement& m, const Array& dL_dZ) const {
    if (m.unit_id != id_)
      raise<InvalidArgument>("gradient: the measurement was taken by another unit; pass one of this unit's");
    const auto& z = m.m.output;
    if (dL_dZ.ndim() != 2 || dL_dZ.shape(0) != z.rows() || dL_dZ.shape(1) != z.cols())
      raise<InvalidArgument>("gradient: dL_dZ: expected shape (", z.rows(), ", ", z.cols(),
                             ") (the measurement's Z), got ", shape_of(dL_dZ));
    const Eigen::Map<const units::Matrix> g(dL_dZ.data(), z.rows(), z.cols());
    units::Vector grad(unit_->parameter_count());
    {
      py::gil_scoped_release free;
      unit_->gradient(m.m, g, grad);
    }
    return copy(grad);
  }

  void inject_faults(const nlohmann::json& faults) {
    py::gil_scoped_release free;
    std::lock_guard lock(fault_.mutex);
    unit_->inject_faults(faults, fault_.rng);
  }

 private:
  std::unique_ptr<units::Unit> unit_;
  std::uint64_t id_;
  std::uint64_t seed_;
  NoiseStream measure_, deploy_, calibration_, fault_;
};

// A read-only array over memory `owner` keeps alive.
py::array view(const units::Matrix& m, py::handle owner) {
  py::array a(py::dtype::of<double>(), {m.rows(), m.cols()}, {}, m.data(), owner);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

}  // namespace

void bind_units(py::module_& m) {
  py::class_<PyMeasurement>(
      m, "Measurement",
      "What one physical forward pass produced (Unit.measure(X, return_measurement=True)); "
      "its arrays are read-only views")
      .def_property_readonly(
          "output", [](py::object self) { return view(self.cast<PyMeasurement&>().m.output, self); },
          "Z, the measured outputs: n x output_dim")
      .def_property_readonly(
          "Z", [](py::object self) { return view(self.cast<PyMeasurement&>().m.output, self); },
          "Alias of output")
      .def_property_readonly(
          "response", [](py::object self) { return view(self.cast<PyMeasurement&>().m.response, self); },
          "The input of the trainable part as measured: the DAC-quantised input (crossbars), the camera "
          "frame "
          "(optics), the input (digital)")
      .def_property_readonly(
          "pre_pool",
          [](py::object self) -> py::object {
            const auto& p = self.cast<PyMeasurement&>().m.pre_pool;
            if (p.size() == 0) return py::none();
            return view(p, self);
          },
          "Units that pool their outputs: the output before pooling; otherwise None")
      .def_property_readonly(
          "version", [](const PyMeasurement& pm) { return pm.m.version; },
          "Deploy count of the parameters the measurement used (0: the initial parameters)");

  py::class_<PyUnit>(
      m, "Unit",
      "A simulated physical unit (made by pib.units.make_unit). Batches are float64 arrays, one "
      "sample per row. Its noise comes from its own random streams, derived from make_unit's seed.")
      .def_property_readonly("kind", [](const PyUnit& u) { return u.get().kind(); })
      .def_property_readonly("input_dim", [](const PyUnit& u) { return u.get().input_dim(); })
      .def_property_readonly("output_dim", [](const PyUnit& u) { return u.get().output_dim(); })
      .def_property_readonly("parameter_count", [](const PyUnit& u) { return u.get().parameter_count(); })
      .def_property_readonly(
          "version", [](const PyUnit& u) { return u.get().version(); }, "Number of completed deploys")
      .def_property_readonly("seed", &PyUnit::seed)
      .def_property_readonly(
          "timing",
          [](const PyUnit& u) {
            const auto t = u.get().timing();
            return py::dict("forward_us_per_sample"_a = t.forward_us_per_sample, "deploy_us"_a = t.deploy_us,
                            "time_scale"_a = t.time_scale);
          },
          "The device timing model, microseconds of device time")
      .def(
          "ledger",
          [](const PyUnit& u) {
            const auto l = u.get().ledger();
            return py::dict("measure_us"_a = l.measure_us, "deploy_us"_a = l.deploy_us,
                            "busy_us"_a = l.busy_us, "idle_us"_a = l.idle_us, "measures"_a = l.measures,
                            "deploys"_a = l.deploys);
          },
          "Device time spent since construction (device microseconds, unscaled) and the call counts")
      .def(
          "measure",
          [](PyUnit& u, const Array& X, bool return_measurement) -> py::object {
            auto pm = u.measure(X);
            if (return_measurement) return py::cast(std::move(pm));
            return copy(pm.m.output);
          },
          "X"_a, py::kw_only(), "return_measurement"_a = false,
          "The physical forward pass of X (n x input_dim) with the deployed parameters: noisy, quantised, "
          "possibly faulty. Returns Z (n x output_dim), or with return_measurement=True the Measurement that "
          "gradient needs")
      .def("calibrate", &PyUnit::calibrate, "X"_a,
           "Calibration pass on representative inputs X (n x input_dim): sets input scaling and output gain "
           "as "
           "a real set-up would. A unit measured before any calibrate calibrates itself on its first batch")
      .def("deploy", &PyUnit::deploy, "parameters"_a,
           "Writes parameters (parameter_count values) to the device; blocks for the scaled deploy time")
      .def(
          "parameters", [](const PyUnit& u) { return copy(u.get().parameters()); },
          "The parameters of the last completed deploy (or the initial ones), as intended")
      .def("gradient", &PyUnit::gradient, "measurement"_a, "dL_dZ"_a,
           "Gradient of a loss w.r.t. the parameters (parameter_count values), given a Measurement of this "
           "unit "
           "and dL/dZ (the shape of its Z). Crossbars use their ideal model at the measured input; optics "
           "differentiate their digital layer at the measured camera frame")
      .def(
          "inject_faults",
          [](PyUnit& u, py::object faults) { u.inject_faults(from_python(faults, "faults")); }, "faults"_a,
          "Injects faults (the kind's fault JSON, e.g. {\"adc_channels\": [{\"channel\": 0, \"mode\": "
          "\"zero\"}]}) for the measures that start after the call")
      .def("__repr__", [](const PyUnit& u) {
        const auto& x = u.get();
        return "<pib.units.Unit " + x.kind() + " " + std::to_string(x.input_dim()) + " -> " +
               std::to_string(x.output_dim()) + ">";
      });

  m.def(
      "make_unit",
      [](py::dict config, std::uint64_t seed) {
        return std::make_unique<PyUnit>(from_python(config, "unit"), seed);
      },
      "config"_a, "seed"_a = 0,
      "A unit from its config (the JSON a unit has in configs/*.json, e.g. {\"kind\": \"optical\", "
      "\"input_dim\": "
      "4, \"output_dim\": 8}). seed fixes its physics and initial parameters, and its run-time noise "
      "streams. "
      "ValueError for an unknown kind or key, or a bad value");
  m.def("known_kinds", &units::known_unit_kinds, "Every registered unit kind");
}

}  // namespace pib::python
