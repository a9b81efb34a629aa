#include "dist/mpi.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "common/error.hpp"

namespace pib::dist {
namespace {

constexpr int kTagSize = 1;
constexpr int kTagPiece = 2;
constexpr std::size_t kPiece = std::size_t{1} << 30;

void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  raise<StateError>(what, ": ", std::string(text, static_cast<std::size_t>(length)));
}

class MpiTransport final : public Transport {
 public:
  MpiTransport(int rank, int size) : rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void send(int to, std::string bytes) override {
    PIB_EXPECTS(to >= 0 && to < size_ && to != rank_, "rank ", rank_, " cannot send to rank ", to);
    const auto n = static_cast<std::uint64_t>(bytes.size());
    check(MPI_Send(&n, 1, MPI_UINT64_T, to, kTagSize, MPI_COMM_WORLD), "MPI_Send");
    for (std::size_t done = 0; done < bytes.size(); done += kPiece) {
      const auto piece = static_cast<int>(std::min(kPiece, bytes.size() - done));
      check(MPI_Send(bytes.data() + done, piece, MPI_BYTE, to, kTagPiece, MPI_COMM_WORLD), "MPI_Send");
    }
  }

  std::string receive(int from) override {
    PIB_EXPECTS(from >= 0 && from < size_ && from != rank_, "rank ", rank_, " cannot receive from rank ", from);
    std::uint64_t n = 0;
    check(MPI_Recv(&n, 1, MPI_UINT64_T, from, kTagSize, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
    std::string bytes(n, '\0');
    for (std::size_t done = 0; done < bytes.size(); done += kPiece) {
      const auto piece = static_cast<int>(std::min<std::size_t>(kPiece, bytes.size() - done));
      MPI_Status status;
      check(MPI_Recv(bytes.data() + done, piece, MPI_BYTE, from, kTagPiece, MPI_COMM_WORLD, &status),
            "MPI_Recv");
      int got = 0;
      MPI_Get_count(&status, MPI_BYTE, &got);
      if (got != piece)
        raise<FileError>("message from rank ", from, ": a piece of ", got, " bytes where ", piece, " were due");
    }
    return bytes;
  }

 private:
  int rank_, size_;
};

}  // namespace

struct MpiSession::Impl {
  int rank = 0, size = 1;
  std::unique_ptr<MpiTransport> transport;
};

bool MpiSession::launched() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"})
    if (std::getenv(v)) return true;
  return false;
}

MpiSession::MpiSession() : impl_(std::make_unique<Impl>()) {
  int provided = 0;
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &impl_->rank);
  MPI_Comm_size(MPI_COMM_WORLD, &impl_->size);
  impl_->transport = std::make_unique<MpiTransport>(impl_->rank, impl_->size);
}

MpiSession::~MpiSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

int MpiSession::rank() const {
  return impl_->rank;
}
int MpiSession::size() const {
  return impl_->size;
}
Transport& MpiSession::transport() {
  return *impl_->transport;
}

std::string MpiSession::broadcast(const std::string& text, int root) {
  auto n = static_cast<std::uint64_t>(text.size());
  check(MPI_Bcast(&n, 1, MPI_UINT64_T, root, MPI_COMM_WORLD), "MPI_Bcast");
  std::string out = impl_->rank == root ? text : std::string(n, '\0');
  PIB_EXPECTS(n < kPiece, "broadcast of ", n, " bytes");
  check(MPI_Bcast(out.data(), static_cast<int>(n), MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
  return out;
}

void MpiSession::abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

}  // namespace pib::dist
