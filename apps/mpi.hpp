#pragma once
// The commands' view of MPI (dist/mpi.hpp): a session when mpirun started this process, none otherwise. In a
// pib built without MPI the session type exists but never starts, so commands keep one code path.

#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <string>

#include "common/error.hpp"
#include "common/transport.hpp"
#ifdef PIB_WITH_MPI
#include "dist/mpi.hpp"
#endif

namespace pib::apps {

#ifdef PIB_WITH_MPI
using dist::MpiSession;
#else
struct MpiSession {
  int rank() const { return 0; }
  int size() const { return 1; }
  Transport& transport() { raise<StateError>("this pib was built without MPI"); }
  std::string broadcast(const std::string& text) { return text; }
  [[noreturn]] void abort(int code) { std::_Exit(code); }
};
#endif

// The MPI session when mpirun started this process; null otherwise. Without MPI support, a process that
// mpirun started as one of several ranks is a ConfigError.
inline std::unique_ptr<MpiSession> start_mpi() {
#ifdef PIB_WITH_MPI
  if (MpiSession::launched()) return std::make_unique<MpiSession>();
#else
  if (const char* n = std::getenv("OMPI_COMM_WORLD_SIZE"); n && std::string(n) != "1")
    raise<ConfigError>("this pib was built without MPI, so it cannot run as one of ", n,
                       " ranks: install libopenmpi-dev (tools/install-deps.sh) and rebuild, or run without mpirun");
#endif
  return nullptr;
}

// Runs `command` with this process's MPI session (or null). Under mpirun an error ends the whole job: the
// failing rank prints it, naming itself, and aborts every rank (exit code 2 for a config error, else 1).
template <typename Command>
void run_as_rank(Command&& command) {
  const auto mpi = start_mpi();
  if (!mpi) return command(nullptr);
  try {
    command(mpi.get());
  } catch (const std::exception& e) {
    std::cerr << "pib: error: [rank " << mpi->rank() << " of " << mpi->size() << "] " << e.what() << std::endl;
    mpi->abort(dynamic_cast<const ConfigError*>(&e) ? 2 : 1);
  }
}

}  // namespace pib::apps
