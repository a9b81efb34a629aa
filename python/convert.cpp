#include <sstream>
#include <string>

#include "common/error.hpp"
#include "python/bindings.hpp"

namespace py = pybind11;

namespace pib::python {

py::object to_python(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return py::none();
    case nlohmann::json::value_t::boolean:
      return py::bool_(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return py::int_(j.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return py::int_(j.get<std::uint64_t>());
    case nlohmann::json::value_t::number_float:
      return py::float_(j.get<double>());
    case nlohmann::json::value_t::string:
      return py::str(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      py::list l;
      for (const auto& v : j)
        l.append(to_python(v));
      return l;
    }
    case nlohmann::json::value_t::object: {
      py::dict d;
      for (const auto& [k, v] : j.items())
        d[py::str(k)] = to_python(v);
      return d;
    }
    default:
      return py::none();
  }
}

nlohmann::json from_python(py::handle o, const std::string& what) {
  if (o.is_none()) return nullptr;
  if (py::isinstance<py::bool_>(o)) return o.cast<bool>();
  if (py::isinstance<py::int_>(o)) {
    const auto i = o.cast<py::int_>();
    if (py::int_(0) > i) return i.cast<std::int64_t>();
    return i.cast<std::uint64_t>();
  }
  if (py::isinstance<py::float_>(o)) return o.cast<double>();
  if (py::isinstance<py::str>(o)) return o.cast<std::string>();
  if (py::isinstance<py::dict>(o)) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, v] : o.cast<py::dict>()) {
      if (!py::isinstance<py::str>(k))
        raise<InvalidArgument>(what, ": key ", py::repr(k).cast<std::string>(), " is not a string");
      const auto key = k.cast<std::string>();
      j[key] = from_python(v, what + "." + key);
    }
    return j;
  }
  if (py::isinstance<py::list>(o) || py::isinstance<py::tuple>(o)) {
    nlohmann::json j = nlohmann::json::array();
    std::size_t i = 0;
    for (const auto& v : o)
      j.push_back(from_python(v, what + "[" + std::to_string(i++) + "]"));
    return j;
  }
  // NumPy scalars and anything else with an exact number behind it.
  if (py::hasattr(o, "item") && py::hasattr(o, "dtype")) return from_python(o.attr("item")(), what);
  raise<InvalidArgument>(what, ": a ", py::str(py::type::handle_of(o).attr("__name__")).cast<std::string>(),
                         " cannot go into a JSON config");
}

std::string shape_of(const py::array& a) {
  std::ostringstream s;
  s << "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i)
    s << (i ? ", " : "") << a.shape(i);
  s << (a.ndim() == 1 ? ",)" : ")");
  return s.str();
}

}  // namespace pib::python
