#pragma once
// pib on MPI (DESIGN.md 9): the session of an MPI process and its transport. This header does not include
// MPI; dist/*.cpp are the only files in the tree that do.
//
// A process is an MPI rank when mpirun (or another process manager) started it; `launched()` tells from
// the environment, so `pib` started by hand never initialises MPI. Messages of any size are sent in pieces
// of at most 1 GiB (an MPI count is an int); sends do not block (MPI_Isend, the bytes kept until sent).
//
// Thread-safety: MPI is initialised with MPI_THREAD_FUNNELED; only the thread that started the session
// may use its transport.

#include <memory>
#include <string>

#include "common/transport.hpp"

namespace pib::dist {

class MpiSession {
 public:
  // True when this process was started as a rank of an MPI job (mpirun's environment variables).
  static bool launched();
  // MPI_Init_thread. One session per process.
  MpiSession();
  // MPI_Finalize (after an abort, nothing).
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const;
  int size() const;
  // The ranks of MPI_COMM_WORLD as a pib::Transport.
  Transport& transport();
  // Rank `root`'s `text` on every rank (outside any counted protocol: run directories and the like).
  std::string broadcast(const std::string& text, int root = 0);
  // Ends every rank of the job with `code` (MPI_Abort); does not return.
  [[noreturn]] void abort(int code);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pib::dist
