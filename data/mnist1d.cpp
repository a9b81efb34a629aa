#include "data/mnist1d.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "common/config.hpp"
#include "common/error.hpp"
#include "data/numpy_random.hpp"

namespace pib::data {

namespace numpy_compat {
namespace {

// numpy's pairwise_sum (loops_utils.h.src): 8 accumulators below 128 elements, halving above.
double pairwise_sum(const double* a, std::size_t n) {
  if (n < 8) {
    double res = 0.0;
    for (std::size_t i = 0; i < n; ++i)
      res += a[i];
    return res;
  }
  if (n <= 128) {
    std::array<double, 8> r;
    for (std::size_t j = 0; j < 8; ++j)
      r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (std::size_t j = 0; j < 8; ++j)
        r[j] += a[i + j];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i)
      res += a[i];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

}  // namespace

double sum(const double* data, std::size_t n) {
  // np.add.reduce walks a contiguous array in buffer-sized chunks (8,192) and adds each chunk's pairwise sum.
  constexpr std::size_t kBuffer = 8192;
  double total = 0.0;
  for (std::size_t start = 0; start < n; start += kBuffer)
    total += pairwise_sum(data + start, std::min(kBuffer, n - start));
  return total;
}

std::vector<double> linspace(double start, double stop, std::size_t n) {
  // numpy.linspace (endpoint=True): i * step + start, the last value set to stop.
  std::vector<double> out(n);
  if (n == 0) return out;
  if (n == 1) {
    out[0] = start;
    return out;
  }
  const double step = (stop - start) / static_cast<double>(n - 1);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<double>(i) * step + start;
  out[n - 1] = stop;
  return out;
}

std::vector<double> interpolate(const std::vector<double>& y, std::size_t n) {
  // mnist1d.transform.interpolate -> scipy interp1d(kind="linear") -> np.interp (compiled_base.c arr_interp).
  PIB_EXPECTS(y.size() >= 2, "interpolating a signal of ", y.size(), " points");
  const std::vector<double> xp = linspace(0.0, 1.0, y.size());
  const std::vector<double> x = linspace(0.0, 1.0, n);
  std::vector<double> out(n);
  const std::size_t last = xp.size() - 1;
  for (std::size_t i = 0; i < n; ++i) {
    const double xv = x[i];
    // j: the last grid point <= xv (x lies within [0, 1], so 0 <= j <= last).
    const auto j = static_cast<std::size_t>(std::upper_bound(xp.begin(), xp.end(), xv) - xp.begin()) - 1;
    if (j == last || xp[j] == xv) {
      out[i] = y[j];
    } else {
      const double slope = (y[j + 1] - y[j]) / (xp[j + 1] - xp[j]);
      out[i] = slope * (xv - xp[j]) + y[j];
    }
  }
  return out;
}

std::vector<double> gaussian_kernel(double sigma) {
  // scipy.ndimage._gaussian_kernel1d(sigma, 0, int(4.0 * sigma + 0.5)).
  const int radius = static_cast<int>(4.0 * sigma + 0.5);
  const double factor = -0.5 / (sigma * sigma);
  std::vector<double> phi(static_cast<std::size_t>(2 * radius + 1));
  for (int k = -radius; k <= radius; ++k)
    phi[static_cast<std::size_t>(k + radius)] = std::exp(factor * static_cast<double>(k * k));
  const double total = sum(phi.data(), phi.size());
  for (double& p : phi)
    p = p / total;
  return phi;
}

std::vector<double> gaussian_filter(const std::vector<double>& x, double sigma) {
  // scipy.ndimage.correlate1d, mode 'reflect' (d c b a | a b c d | d c b a), symmetric-kernel loop of
  // NI_Correlate1D: out = x[l] w[0] + sum_{j=-r}^{-1} (x[l+j] + x[l-j]) w[j].
  const std::vector<double> w = gaussian_kernel(sigma);
  const auto r = static_cast<std::ptrdiff_t>(w.size() / 2);
  const auto n = static_cast<std::ptrdiff_t>(x.size());
  PIB_EXPECTS(n > 0, "filtering an empty signal");
  std::vector<double> ext(static_cast<std::size_t>(n + 2 * r));
  auto reflect = [n](std::ptrdiff_t i) {
    const std::ptrdiff_t period = 2 * n;
    i %= period;
    if (i < 0) i += period;
    return i < n ? i : period - 1 - i;
  };
  for (std::ptrdiff_t i = -r; i < n + r; ++i)
    ext[static_cast<std::size_t>(i + r)] = x[static_cast<std::size_t>(reflect(i))];
  const double* fw = w.data() + r;
  std::vector<double> out(x.size());
  for (std::ptrdiff_t l = 0; l < n; ++l) {
    const double* line = ext.data() + l + r;
    double acc = line[0] * fw[0];
    for (std::ptrdiff_t j = -r; j < 0; ++j)
      acc += (line[j] + line[-j]) * fw[j];
    out[static_cast<std::size_t>(l)] = acc;
  }
  return out;
}

}  // namespace numpy_compat

namespace {

using numpy_compat::interpolate;

// np.mean / np.std (ddof 0) of a contiguous array, as numpy computes them.
double numpy_mean(const double* a, std::size_t n) {
  return numpy_compat::sum(a, n) / static_cast<double>(n);
}
double numpy_std(const double* a, std::size_t n) {
  const double mean = numpy_mean(a, n);
  std::vector<double> sq(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double d = a[i] - mean;
    sq[i] = d * d;
  }
  return std::sqrt(numpy_compat::sum(sq.data(), n) / static_cast<double>(n));
}

// One sample: mnist1d.transform.transform(x, t, args), RNG calls in the reference's order.
std::vector<double> transform(const double* templ, std::size_t templ_len, const Mnist1dConfig& c,
                              NumpyRandomState& rs) {
  constexpr double kEps = 1e-8;
  // pad: p = low + int(rand() * (high - low + 1)) zeros after the template (+ eps).
  const int p = c.padding_min + static_cast<int>(rs.random_sample() * (c.padding_max - c.padding_min + 1));
  std::vector<double> padded(templ_len + static_cast<std::size_t>(p), 0.0);
  for (std::size_t i = 0; i < templ_len; ++i)
    padded[i] = templ[i] + kEps;
  // dilate to template_len + padding_max, then scale.
  std::vector<double> x = interpolate(padded, templ_len + static_cast<std::size_t>(c.padding_max));
  const std::size_t n = x.size();
  const double scale = 1 + c.scale_coeff * (rs.random_sample() - 0.5);
  for (double& v : x)
    v *= scale;
  // translate: roll right by np.random.choice(max_translation) = randint(0, max_translation).
  const auto k = static_cast<std::size_t>(rs.randint(0, c.max_translation));
  std::rotate(x.begin(), x.end() - static_cast<std::ptrdiff_t>(k % n), x.end());
  // exact zeros (the padding) become correlated noise.
  std::vector<double> noise(n);
  for (double& v : noise)
    v = c.corr_noise_scale * rs.standard_normal();
  const std::vector<double> corr = numpy_compat::gaussian_filter(noise, 2.0);
  for (std::size_t i = 0; i < n; ++i)
    if (x[i] == 0.0) x[i] = corr[i];
  for (double& v : x)
    v = v + c.iid_noise_scale * rs.standard_normal();
  // shear and subsample.
  const double coeff = c.shear_scale * (rs.random_sample() - 0.5);
  const std::vector<double> ramp = numpy_compat::linspace(-0.5, 0.5, n);
  for (std::size_t i = 0; i < n; ++i)
    x[i] = x[i] - coeff * ramp[i];
  return interpolate(x, static_cast<std::size_t>(c.final_seq_length));
}

}  // namespace

Matrix mnist1d_templates() {
  // mnist1d.data.get_templates: whiten each digit, start (and end) at zero, divide by 6.
  static constexpr double kDigits[10][12] = {
      {5, 6, 6.5, 6.75, 7, 7, 7, 7, 6.75, 6.5, 6, 5},     {5, 3, 3, 3.4, 3.8, 4.2, 4.6, 5, 5.4, 5.8, 5, 5},
      {5, 6, 6.5, 6.5, 6, 5.25, 4.75, 4, 3.5, 3.5, 4, 5}, {5, 6, 6.5, 6.5, 6, 5, 5, 6, 6.5, 6.5, 6, 5},
      {5, 4.4, 3.8, 3.2, 2.6, 2.6, 5, 5, 5, 5, 5, 5},     {5, 3, 3, 3, 3, 5, 6, 6.5, 6.5, 6, 4.5, 5},
      {5, 4, 3.5, 3.25, 3, 3, 3, 3, 3.25, 3.5, 4, 5},     {5, 7, 7, 6.6, 6.2, 5.8, 5.4, 5, 4.6, 4.2, 5, 5},
      {5, 4, 3.5, 3.5, 4, 5, 5, 4, 3.5, 3.5, 4, 5},       {5, 4, 3.5, 3.5, 4, 5, 5, 5, 5, 4.7, 4.3, 5},
  };
  Matrix t(10, 12);
  for (int d = 0; d < 10; ++d) {
    double row[12];
    for (int i = 0; i < 12; ++i)
      row[i] = kDigits[d][i];
    const double mean = numpy_mean(row, 12);
    for (double& v : row)
      v -= mean;
    const double sd = numpy_std(row, 12);
    for (double& v : row)
      v /= sd;
    const double first = row[0];
    for (double& v : row)
      v -= first;
    for (int i = 0; i < 12; ++i)
      t(d, i) = row[i] / 6.;
  }
  return t;
}

Mnist1dSamples generate_mnist1d_samples(const Mnist1dConfig& config) {
  config.validate();
  const Matrix templates = mnist1d_templates();
  NumpyRandomState rs(config.seed);
  const int classes = static_cast<int>(templates.rows());
  const int per_class = config.num_samples / classes;
  const auto total = static_cast<std::size_t>(per_class * classes);
  const auto length = static_cast<Eigen::Index>(config.final_seq_length);

  Matrix generated(static_cast<Eigen::Index>(total), length);
  std::vector<int> labels(total);
  std::size_t row = 0;
  for (int label = 0; label < classes; ++label) {
    for (int e = 0; e < per_class; ++e, ++row) {
      const std::vector<double> x =
          transform(templates.row(label).data(), static_cast<std::size_t>(templates.cols()), config, rs);
      for (Eigen::Index i = 0; i < length; ++i)
        generated(static_cast<Eigen::Index>(row), i) = x[static_cast<std::size_t>(i)];
      labels[row] = label;
    }
  }

  Mnist1dSamples out;
  const std::vector<std::int64_t> shuffle = rs.permutation(total);
  out.features.resize(static_cast<Eigen::Index>(total), length);
  out.labels.resize(total);
  for (std::size_t i = 0; i < total; ++i) {
    out.features.row(static_cast<Eigen::Index>(i)) = generated.row(shuffle[i]);
    out.labels[i] = labels[static_cast<std::size_t>(shuffle[i])];
  }
  if (config.shuffle_seq) {
    const std::vector<std::int64_t> seq = rs.permutation(static_cast<std::size_t>(length));
    const Matrix unshuffled = out.features;
    for (Eigen::Index j = 0; j < length; ++j)
      out.features.col(j) = unshuffled.col(seq[static_cast<std::size_t>(j)]);
  }
  // xs = (xs - xs.mean()) / xs.std() over the whole array.
  const auto count = static_cast<std::size_t>(out.features.size());
  out.raw_mean = numpy_mean(out.features.data(), count);
  out.raw_stddev = numpy_std(out.features.data(), count);
  for (Eigen::Index i = 0; i < out.features.size(); ++i)
    out.features.data()[i] = (out.features.data()[i] - out.raw_mean) / out.raw_stddev;
  out.train_count = static_cast<std::size_t>(static_cast<double>(total) * config.train_split);
  return out;
}

Dataset make_mnist1d(const Mnist1dConfig& config) {
  Mnist1dSamples s = generate_mnist1d_samples(config);
  Dataset d;
  d.name = "mnist1d";
  d.source = "generated natively (greydanus/mnist1d algorithm, seed " + std::to_string(config.seed) + ")";
  d.sample_shape = {config.final_seq_length};
  for (int c = 0; c < 10; ++c)
    d.class_names.push_back(std::to_string(c));
  const auto n_train = static_cast<Eigen::Index>(s.train_count);
  const auto n_test = s.features.rows() - n_train;
  d.train.features = s.features.topRows(n_train);
  d.test.features = s.features.bottomRows(n_test);
  d.train.labels.assign(s.labels.begin(), s.labels.begin() + n_train);
  d.test.labels.assign(s.labels.begin() + n_train, s.labels.end());
  return d;
}

Mnist1dConfig Mnist1dConfig::from_json(const nlohmann::json& json, const std::string& path) {
  Mnist1dConfig c;
  ConfigReader r(json, path);
  r.get("num_samples", c.num_samples);
  r.get("train_split", c.train_split);
  std::vector<int> padding{c.padding_min, c.padding_max};
  r.get("padding", padding);
  require_config(padding.size() == 2, r.key_path("padding"), nlohmann::json(padding).dump(), "[min, max]");
  c.padding_min = padding[0];
  c.padding_max = padding[1];
  r.get("scale_coeff", c.scale_coeff);
  r.get("max_translation", c.max_translation);
  r.get("corr_noise_scale", c.corr_noise_scale);
  r.get("iid_noise_scale", c.iid_noise_scale);
  r.get("shear_scale", c.shear_scale);
  r.get("shuffle_seq", c.shuffle_seq);
  r.get("final_seq_length", c.final_seq_length);
  r.get("seed", c.seed);
  r.finish();
  c.validate();
  return c;
}

nlohmann::json Mnist1dConfig::to_json() const {
  return {{"num_samples", num_samples},
          {"train_split", train_split},
          {"padding", {padding_min, padding_max}},
          {"scale_coeff", scale_coeff},
          {"max_translation", max_translation},
          {"corr_noise_scale", corr_noise_scale},
          {"iid_noise_scale", iid_noise_scale},
          {"shear_scale", shear_scale},
          {"shuffle_seq", shuffle_seq},
          {"final_seq_length", final_seq_length},
          {"seed", seed}};
}

void Mnist1dConfig::validate() const {
  require_config(num_samples >= 10, "mnist1d.num_samples", num_samples, ">= 10 (num_samples / 10 per class)");
  require_config(train_split > 0.0 && train_split < 1.0, "mnist1d.train_split", train_split, "in (0, 1)");
  require_config(padding_min >= 0 && padding_min <= padding_max, "mnist1d.padding",
                 nlohmann::json({padding_min, padding_max}).dump(), "0 <= min <= max");
  require_config(scale_coeff >= 0.0 && scale_coeff < 2.0, "mnist1d.scale_coeff", scale_coeff, "in [0, 2)");
  require_config(max_translation >= 1, "mnist1d.max_translation", max_translation, ">= 1");
  require_config(corr_noise_scale >= 0.0, "mnist1d.corr_noise_scale", corr_noise_scale, ">= 0");
  require_config(iid_noise_scale >= 0.0, "mnist1d.iid_noise_scale", iid_noise_scale, ">= 0");
  require_config(shear_scale >= 0.0, "mnist1d.shear_scale", shear_scale, ">= 0");
  require_config(final_seq_length >= 2, "mnist1d.final_seq_length", final_seq_length, ">= 2");
}

}  // namespace pib::data
