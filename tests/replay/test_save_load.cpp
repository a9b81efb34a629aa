#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "replay/prioritized_replay.hpp"
#include "replay/uniform_replay.hpp"
#include "replay_test_util.hpp"

using pib::replay::Batch;
using pib::replay::PrioritizedReplay;
using pib::replay::UniformReplay;
using pib::replay::test::push_numbered;
using pib::replay::test::TempDir;

namespace {

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Two buffers agree if every batch drawn with equal RNG states is identical, bit for bit.
template <typename Buffer>
void check_same_sampling(const Buffer& a, const Buffer& b, std::size_t batch_size) {
  pib::Rng ra(31), rb(31);
  Batch x, y;
  for (int round = 0; round < 20; ++round) {
    a.sample(batch_size, ra, x);
    b.sample(batch_size, rb, y);
    REQUIRE(x.indices == y.indices);
    REQUIRE(x.obs == y.obs);
    REQUIRE(x.next_obs == y.next_obs);
    REQUIRE(x.actions == y.actions);
    REQUIRE(x.rewards == y.rewards);
    REQUIRE(x.discounts == y.discounts);
    REQUIRE(x.terminated == y.terminated);
    REQUIRE(x.truncated == y.truncated);
    REQUIRE(x.weights == y.weights);
  }
  CHECK(ra == rb);
}

PrioritizedReplay make_prioritized() {
  PrioritizedReplay buffer(50, 4, {.alpha = 0.6, .beta = 0.45});
  for (int i = 0; i < 73; ++i)
    push_numbered(buffer, i);  // wrapped
  pib::Rng rng(4);
  Batch batch;
  for (int round = 0; round < 10; ++round) {
    buffer.sample(16, rng, batch);
    std::vector<double> p(16);
    for (auto& v : p)
      v = rng.uniform(0.01, 3.0);
    buffer.update_priorities(batch.indices, p);
  }
  return buffer;
}

}  // namespace

TEST_CASE("save/load: uniform round trip samples bit-identically", "[replay]") {
  TempDir dir("uniform");
  UniformReplay buffer(40, 4);
  for (int i = 0; i < 57; ++i)
    push_numbered(buffer, i);
  const auto path = dir.path() / "uniform.pibreplay";
  buffer.save(path);
  const UniformReplay loaded = UniformReplay::load(path);
  CHECK(loaded.capacity() == 40);
  CHECK(loaded.size() == 40);
  CHECK(loaded.obs_dim() == 4);
  CHECK(loaded.columns().next_slot() == buffer.columns().next_slot());
  check_same_sampling(buffer, loaded, 32);

  // Pushing after loading continues the ring where it stopped.
  UniformReplay a = buffer;
  UniformReplay b = loaded;
  CHECK(push_numbered(a, 57) == push_numbered(b, 57));
  check_same_sampling(a, b, 32);

  // Only the final file is left behind: the temporary one was renamed.
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                      std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("save/load: a partly filled buffer round-trips too", "[replay]") {
  TempDir dir("partial");
  PrioritizedReplay buffer(100, 4);
  for (int i = 0; i < 9; ++i)
    push_numbered(buffer, i);
  const auto path = dir.path() / "partial.bin";
  buffer.save(path);
  const auto loaded = PrioritizedReplay::load(path);
  CHECK(loaded.size() == 9);
  CHECK(loaded.capacity() == 100);
  check_same_sampling(buffer, loaded, 8);
}

TEST_CASE("save/load: prioritized round trip keeps priorities, parameters and sampling", "[replay]") {
  TempDir dir("prioritized");
  const PrioritizedReplay buffer = make_prioritized();
  const auto path = dir.path() / "per.bin";
  buffer.save(path);
  const PrioritizedReplay loaded = PrioritizedReplay::load(path);
  CHECK(loaded.params().alpha == buffer.params().alpha);
  CHECK(loaded.params().beta == buffer.params().beta);
  CHECK(loaded.max_priority() == buffer.max_priority());
  CHECK(loaded.tree().total() == buffer.tree().total());  // bit for bit
  CHECK(loaded.tree().min_positive() == buffer.tree().min_positive());
  check_same_sampling(buffer, loaded, 16);

  // Saving again over the same name replaces the file atomically and yields the same bytes.
  const std::string first = read_bytes(path);
  loaded.save(path);
  CHECK(read_bytes(path) == first);
}

TEST_CASE("save/load: a buffer embeds in a larger stream", "[replay]") {
  const PrioritizedReplay per = make_prioritized();
  UniformReplay uniform(8, 4);
  for (int i = 0; i < 5; ++i)
    push_numbered(uniform, i);
  std::stringstream checkpoint;
  checkpoint << "HEAD";
  per.save(checkpoint);
  uniform.save(checkpoint);
  checkpoint << "TAIL";

  std::string head(4, '\0'), tail(4, '\0');
  checkpoint.read(head.data(), 4);
  const auto per2 = PrioritizedReplay::load(checkpoint, "checkpoint");
  const auto uniform2 = UniformReplay::load(checkpoint, "checkpoint");
  checkpoint.read(tail.data(), 4);
  CHECK(head == "HEAD");
  CHECK(tail == "TAIL");
  check_same_sampling(per, per2, 16);
  check_same_sampling(uniform, uniform2, 5);
}

TEST_CASE("save/load: truncated, foreign, corrupt and wrong-version files are FileErrors naming the file",
          "[replay]") {
  using Catch::Contains;
  TempDir dir("bad");
  const auto good = dir.path() / "good.bin";
  make_prioritized().save(good);
  const std::string bytes = read_bytes(good);
  REQUIRE(bytes.size() > 100);
  const auto bad = dir.path() / "bad.bin";
  const std::string bad_name = bad.string();

  SECTION("missing") {
    CHECK_THROWS_AS(PrioritizedReplay::load(dir.path() / "missing.bin"), pib::FileError);
    CHECK_THROWS_WITH(PrioritizedReplay::load(dir.path() / "missing.bin"), Contains("missing.bin"));
  }
  SECTION("truncated at every length") {
    for (std::size_t length = 0; length < bytes.size(); length += (length < 64 ? 1 : 97)) {
      write_bytes(bad, bytes.substr(0, length));
      INFO("length " << length);
      CHECK_THROWS_AS(PrioritizedReplay::load(bad), pib::FileError);
      CHECK_THROWS_WITH(PrioritizedReplay::load(bad), Contains(bad_name) && Contains("truncated"));
    }
    write_bytes(bad, bytes.substr(0, bytes.size() - 1));  // only the checksum's last byte is missing
    CHECK_THROWS_WITH(PrioritizedReplay::load(bad), Contains(bad_name) && Contains("truncated"));
  }
  SECTION("foreign") {
    write_bytes(bad, "{\"this\": \"is a JSON file, not a replay buffer\"}\n");
    CHECK_THROWS_WITH(PrioritizedReplay::load(bad),
                      Contains(bad_name) && Contains("not a pib replay buffer"));
    CHECK_THROWS_WITH(UniformReplay::load(bad), Contains("not a pib replay buffer"));
    write_bytes(bad, "x");
    CHECK_THROWS_WITH(UniformReplay::load(bad), Contains("not a pib replay buffer"));
  }
  SECTION("wrong version") {
    std::string v = bytes;
    v[8] = 7;  // the u32 version follows the 8-byte magic
    write_bytes(bad, v);
    CHECK_THROWS_WITH(PrioritizedReplay::load(bad),
                      Contains(bad_name) && Contains("format version 7") && Contains("reads version 1"));
  }
  SECTION("wrong kind") {
    CHECK_THROWS_WITH(UniformReplay::load(good),
                      Contains("holds a prioritized replay buffer, not a uniform one"));
  }
  SECTION("corrupt payload") {
    std::string v = bytes;
    v[v.size() / 2] = static_cast<char>(v[v.size() / 2] ^ 0x10);
    write_bytes(bad, v);
    CHECK_THROWS_AS(PrioritizedReplay::load(bad), pib::FileError);
    CHECK_THROWS_WITH(PrioritizedReplay::load(bad), Contains(bad_name));
  }
  SECTION("stream errors name the stream") {
    std::istringstream in(bytes.substr(0, 40));
    CHECK_THROWS_WITH(PrioritizedReplay::load(in, "checkpoint step 12"),
                      Contains("checkpoint step 12") && Contains("truncated"));
  }
}

TEST_CASE("save/load: saving into a missing directory is a FileError and leaves nothing behind", "[replay]") {
  TempDir dir("nodir");
  UniformReplay buffer(4, 4);
  push_numbered(buffer, 0);
  CHECK_THROWS_AS(buffer.save(dir.path() / "no" / "such" / "dir.bin"), pib::FileError);
  CHECK(std::filesystem::is_empty(dir.path()));
}
