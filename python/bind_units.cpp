#include "python/bindings.hpp"

namespace pib::python {
void bind_units(pybind11::module_& m) {}
}  // namespace pib::python
