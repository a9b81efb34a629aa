#pragma once
// The module's parts: each bind_<name> fills the submodule pib.<name> (python/module.cpp makes them), and the
// conversions they share.

#include <string>

#include <nlohmann/json.hpp>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

namespace pib::python {

void bind_envs(pybind11::module_& m);
void bind_rl(pybind11::module_& m);
void bind_units(pybind11::module_& m);
void bind_info(pybind11::module_& m);

// JSON <-> Python objects (dict, list, str, int, float, bool, None). from_python throws ValueError
// (pib::InvalidArgument) naming `what` for anything else.
pybind11::object to_python(const nlohmann::json& j);
nlohmann::json from_python(pybind11::handle o, const std::string& what = "config");

// An array's shape as Python prints it: "(3, 4)", "(5,)".
std::string shape_of(const pybind11::array& a);

}  // namespace pib::python
