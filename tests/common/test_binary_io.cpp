// The one binary record format and atomic file write: round trips, every rejection names the source and
// the fault, and a failed write leaves no temporary file and the old file as it was.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/binary_io.hpp"
#include "common/error.hpp"
#include "tests/temp_dir.hpp"

namespace fs = std::filesystem;
using Catch::Contains;

namespace {

using pib::test::TempDir;

constexpr pib::BinaryFormat kFormat{"PIBTEST", 3, "test record"};

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    names.push_back(e.path().filename().string());
  return names;
}

// A record holding one of every kind of field.
std::string sample_record() {
  pib::BinaryWriter w(kFormat);
  w.value<std::int32_t>(-7);
  w.value(2.5);
  w.value(true);
  w.string("hello");
  w.vector(std::vector<float>{1.0f, -2.0f, 3.5f});
  w.optional(std::optional<double>(0.25));
  w.optional(std::optional<std::uint64_t>());
  Eigen::VectorXd v(3);
  v << 1.0, 2.0, 3.0;
  w.eigen(v);
  pib::Rng rng(42);
  rng.normal();
  w.rng(rng);
  const std::uint16_t raw[2] = {9, 10};
  w.array(std::span<const std::uint16_t>(raw));
  return w.finish();
}

void check_sample(pib::BinaryReader& r) {
  CHECK(r.value<std::int32_t>() == -7);
  CHECK(r.value<double>() == 2.5);
  CHECK(r.value<bool>());
  CHECK(r.string() == "hello");
  CHECK(r.vector<float>() == std::vector<float>{1.0f, -2.0f, 3.5f});
  CHECK(r.optional<double>() == std::optional<double>(0.25));
  CHECK_FALSE(r.optional<std::uint64_t>().has_value());
  CHECK(r.eigen(3) == Eigen::Vector3d(1.0, 2.0, 3.0));
  pib::Rng expected(42);
  expected.normal();
  pib::Rng got(0);
  r.rng(got);
  CHECK(got.state() == expected.state());
  std::uint16_t raw[2] = {};
  r.array(std::span<std::uint16_t>(raw));
  CHECK(raw[0] == 9);
  CHECK(raw[1] == 10);
  r.finish();
}

// Reads every field of sample_record() without checking values: only the reader's own checks can throw.
void read_sample(pib::BinaryReader& r) {
  r.value<std::int32_t>();
  r.value<double>();
  r.value<bool>();
  r.string();
  r.vector<float>();
  r.optional<double>();
  r.optional<std::uint64_t>();
  r.eigen(3);
  r.rng_state();
  std::uint16_t raw[2] = {};
  r.array(std::span<std::uint16_t>(raw));
  r.finish();
}

}  // namespace

TEST_CASE("Fnv1a64 matches the published test vectors and is incremental", "[binary_io]") {
  CHECK(pib::Fnv1a64().digest() == 0xcbf29ce484222325ULL);
  pib::Fnv1a64 a;
  a.update("a");
  CHECK(a.digest() == 0xaf63dc4c8601ec8cULL);
  pib::Fnv1a64 whole;
  whole.update("foobar");
  CHECK(whole.digest() == 0x85944171f73967e8ULL);
  pib::Fnv1a64 parts;
  parts.update("foo");
  parts.update("bar");
  CHECK(parts.digest() == whole.digest());
}

TEST_CASE("BinaryWriter/Reader round trip every field kind, from a file and from a stream", "[binary_io]") {
  TempDir dir("roundtrip");
  const auto file = dir.path() / "r.bin";
  const std::string record = sample_record();
  pib::write_file_atomically(file, record);
  CHECK(pib::read_file_bytes(file) == record);
  CHECK(record.substr(0, 8) == std::string("PIBTEST\0", 8));

  pib::BinaryReader from_file(kFormat, file);
  CHECK(from_file.source() == file.string());
  check_sample(from_file);

  // A record inside a stream: the reader stops right after it.
  std::istringstream in("HEAD" + record + "TAIL");
  std::string head(4, '\0');
  in.read(head.data(), 4);
  pib::BinaryReader from_stream(kFormat, in, "stream");
  check_sample(from_stream);
  std::string tail(4, '\0');
  in.read(tail.data(), 4);
  CHECK(tail == "TAIL");
}

TEST_CASE("BinaryReader rejects wrong magic, version, truncation, corruption and unread data",
          "[binary_io]") {
  TempDir dir("reject");
  const std::string good = sample_record();
  const auto bad = dir.path() / "bad.bin";
  const std::string name = bad.string();

  SECTION("missing file") {
    CHECK_THROWS_WITH(pib::BinaryReader(kFormat, dir.path() / "missing.bin"), Contains("missing.bin"));
  }
  SECTION("wrong magic") {
    write_bytes(bad, "{\"a JSON file\": true}");
    CHECK_THROWS_WITH(pib::BinaryReader(kFormat, bad), Contains(name) && Contains("not a pib test record"));
    std::istringstream in("x");
    CHECK_THROWS_WITH(pib::BinaryReader(kFormat, in, "the stream"),
                      Contains("the stream") && Contains("not a pib test record"));
  }
  SECTION("wrong version") {
    std::string v = good;
    v[8] = 9;  // the u32 version follows the 8-byte magic
    write_bytes(bad, v);
    CHECK_THROWS_WITH(pib::BinaryReader(kFormat, bad),
                      Contains(name) && Contains("format version 9") && Contains("reads version 3"));
  }
  SECTION("truncated at every length") {
    for (std::size_t length = 0; length < good.size(); ++length) {
      INFO("length " << length);
      write_bytes(bad, good.substr(0, length));
      CHECK_THROWS_WITH(pib::BinaryReader(kFormat, bad), Contains(name) && Contains("truncated"));
      // A stream cannot check the hash up front: truncation shows when a field or the hash is read.
      std::istringstream in(good.substr(0, length));
      CHECK_THROWS_WITH(
          [&] {
            pib::BinaryReader r(kFormat, in, "the stream");
            read_sample(r);
          }(),
          Contains("the stream") && Contains("truncated"));
    }
  }
  SECTION("one flipped bit anywhere after the header") {
    for (std::size_t at = 12; at < good.size(); at += 7) {
      INFO("byte " << at);
      std::string v = good;
      v[at] = static_cast<char>(v[at] ^ 0x04);
      write_bytes(bad, v);
      CHECK_THROWS_WITH(pib::BinaryReader(kFormat, bad), Contains(name) && Contains("hash mismatch"));
    }
  }
  SECTION("a stream record with a modified payload fails at finish") {
    std::string v = good;
    v[12] = static_cast<char>(v[12] ^ 0x01);  // the low byte of the first field (-7)
    std::istringstream in(v);
    pib::BinaryReader r(kFormat, in, "the stream");
    CHECK(r.value<std::int32_t>() == -8);
    CHECK_THROWS_WITH(r.finish(), Contains("the stream") && Contains("hash mismatch"));
  }
  SECTION("unread bytes and lengths beyond the data") {
    pib::BinaryWriter w(kFormat);
    w.value<std::uint64_t>(1000);  // read back as a vector length
    w.value(1.0);
    pib::write_file_atomically(bad, w.finish());
    CHECK_THROWS_WITH(pib::BinaryReader(kFormat, bad).vector<double>(),
                      Contains(name) && Contains("a length of 1000 exceeds the data"));
    pib::BinaryReader r(kFormat, bad);
    CHECK(r.value<std::uint64_t>() == 1000);
    CHECK_THROWS_WITH(r.finish(), Contains(name) && Contains("8 unread bytes"));
  }
  SECTION("a flag byte other than 0 or 1") {
    pib::BinaryWriter w(kFormat);
    w.value<std::uint8_t>(2);
    pib::write_file_atomically(bad, w.finish());
    CHECK_THROWS_WITH(pib::BinaryReader(kFormat, bad).value<bool>(), Contains("a flag byte holds 2"));
  }
}

TEST_CASE("write_file_atomically replaces a file and leaves no temporary file", "[binary_io]") {
  TempDir dir("replace");
  const auto file = dir.path() / "f.json";
  pib::write_file_atomically(file, "old");
  pib::write_file_atomically(file, "new content");
  CHECK(pib::read_file_bytes(file) == "new content");
  CHECK(names_in(dir.path()) == std::vector<std::string>{"f.json"});
}

TEST_CASE("a failed atomic write throws FileError naming the file and leaves the old file intact",
          "[binary_io]") {
  TempDir dir("fail");
  SECTION("the directory does not exist") {
    const auto file = dir.path() / "no" / "such" / "f.bin";
    CHECK_THROWS_AS(pib::write_file_atomically(file, "x"), pib::FileError);
    CHECK_THROWS_WITH(pib::write_file_atomically(file, "x"), Contains(file.string()));
    CHECK(fs::is_empty(dir.path()));
  }
  SECTION("the target is a directory: the rename fails") {
    const auto target = dir.path() / "occupied";
    fs::create_directories(target / "inside");
    CHECK_THROWS_WITH(pib::write_file_atomically(target, "x"),
                      Contains(target.string()) && Contains("renam"));
    CHECK(names_in(dir.path()) == std::vector<std::string>{"occupied"});
    CHECK(fs::is_directory(target / "inside"));
  }
  SECTION("the write itself fails part way (file size limit), in a child process") {
    const auto file = dir.path() / "f.bin";
    pib::write_file_atomically(file, "old content");
    // The child lowers its file size limit so that write() fails with EFBIG after 16 bytes; it reports
    // through its exit status: 0 = FileError naming the file, old file intact, no temporary left.
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      std::signal(SIGXFSZ, SIG_IGN);
      const rlimit limit{16, 16};
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(10);
      int code = 11;
      try {
        pib::write_file_atomically(file, std::string(4096, 'n'));
        code = 12;
      } catch (const pib::FileError& e) {
        code = std::string(e.what()).find(file.string()) == std::string::npos ? 13 : 0;
      }
      if (code == 0 && pib::read_file_bytes(file) != "old content") code = 14;
      if (code == 0 && names_in(dir.path()) != std::vector<std::string>{"f.bin"}) code = 15;
      ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(pib::read_file_bytes(file) == "old content");
  }
}
