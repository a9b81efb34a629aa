#include "dist/mpi.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <list>
#include <optional>
#include <string>
#include <vector>

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

// Sends are non-blocking (MPI_Isend): a message's bytes stay here until MPI has sent them, and completed
// sends are released on every later call. The destructor waits for the ones still in flight.
class MpiTransport final : public Transport {
 public:
  MpiTransport(int rank, int size) : rank_(rank), size_(size) {}
  ~MpiTransport() override {
    for (auto& s : in_flight_)
      MPI_Waitall(static_cast<int>(s.requests.size()), s.requests.data(), MPI_STATUSES_IGNORE);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void send(int to, std::string bytes) override {
    PIB_EXPECTS(to >= 0 && to < size_ && to != rank_, "rank ", rank_, " cannot send to rank ", to);
    release_completed();
    auto& s = in_flight_.emplace_back();
    s.size = static_cast<std::uint64_t>(bytes.size());
    s.bytes = std::move(bytes);
    s.requests.emplace_back();
    check(MPI_Isend(&s.size, 1, MPI_UINT64_T, to, kTagSize, MPI_COMM_WORLD, &s.requests.back()), "MPI_Isend");
    for (std::size_t done = 0; done < s.bytes.size(); done += kPiece) {
      const auto piece = static_cast<int>(std::min(kPiece, s.bytes.size() - done));
      s.requests.emplace_back();
      check(MPI_Isend(s.bytes.data() + done, piece, MPI_BYTE, to, kTagPiece, MPI_COMM_WORLD, &s.requests.back()),
            "MPI_Isend");
    }
  }

  std::string receive(int from) override {
    PIB_EXPECTS(from >= 0 && from < size_ && from != rank_, "rank ", rank_, " cannot receive from rank ", from);
    release_completed();
    std::uint64_t n = 0;
    check(MPI_Recv(&n, 1, MPI_UINT64_T, from, kTagSize, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
    return receive_pieces(from, n);
  }

  std::optional<std::string> try_receive(int from) override {
    PIB_EXPECTS(from >= 0 && from < size_ && from != rank_, "rank ", rank_, " cannot receive from rank ", from);
    release_completed();
    int arrived = 0;
    check(MPI_Iprobe(from, kTagSize, MPI_COMM_WORLD, &arrived, MPI_STATUS_IGNORE), "MPI_Iprobe");
    if (!arrived) return std::nullopt;
    std::uint64_t n = 0;
    check(MPI_Recv(&n, 1, MPI_UINT64_T, from, kTagSize, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
    return receive_pieces(from, n);  // sent right after the size
  }

 private:
  struct Sending {
    std::uint64_t size = 0;
    std::string bytes;
    std::vector<MPI_Request> requests;
  };

  std::string receive_pieces(int from, std::uint64_t n) {
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

  void release_completed() {
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
      int done = 0;
      MPI_Testall(static_cast<int>(it->requests.size()), it->requests.data(), &done, MPI_STATUSES_IGNORE);
      it = done ? in_flight_.erase(it) : std::next(it);
    }
  }

  int rank_, size_;
  std::list<Sending> in_flight_;  // a list: the requests point into elements that must not move
};

}  // namespace

struct MpiSession::Impl {
  int rank = 0, size = 1;
  std::unique_ptr<Transport> transport;  // an MpiTransport
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
  impl_->transport.reset();  // waits for its sends in flight
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
