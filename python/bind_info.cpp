#include "python/bindings.hpp"

namespace pib::python {
void bind_info(pybind11::module_& m) {}
}  // namespace pib::python
