// The module pib._core (imported as pib): the submodules envs, rl, units and info, and pib's errors as
// Python's: InvalidArgument and ConfigError are ValueError, FileError is OSError, every other pib::Error is
// RuntimeError; Python exceptions raised in a callback cross back unchanged.

#include <pybind11/pybind11.h>

#include "common/error.hpp"
#include "python/bindings.hpp"
#include "python/bridge.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
  m.doc() = "pib: deep physical neural networks trained with the physical information bottleneck";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const pib::InvalidArgument& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const pib::FileError& e) {
      PyErr_SetString(PyExc_OSError, e.what());
    } catch (const pib::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
  pib::python::register_family();
  auto envs = m.def_submodule("envs", "Environments with Gymnasium's API: pib's own and any registered id");
  pib::python::bind_envs(envs);
  auto rl = m.def_submodule("rl", "The RL agent: train a Q-network of simulated physical units");
  pib::python::bind_rl(rl);
  auto units = m.def_submodule("units", "Simulated physical units: measure, deploy, gradients");
  pib::python::bind_units(units);
  auto info = m.def_submodule("info", "Matrix-based Renyi entropy, mutual information and the PIB loss");
  pib::python::bind_info(info);
}
