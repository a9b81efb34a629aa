// `pib info mi` and `pib info entropy`: matrix-based Renyi entropy and mutual information (bits) of
// features saved as CSV, for information planes. Thin: CSV parsing and printing; the work is in bottleneck/.
//
// CSV: one sample per row, comma-separated numbers, an optional first line of column names. With the linear
// kernel, a file with a single column of integers is read as class labels (one-hot, K_ij = [y_i == y_j]);
// any other file uses K = Y Y^T on the values.

#include <cmath>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "apps/command.hpp"
#include "bottleneck/bottleneck.hpp"
#include "common/error.hpp"

namespace {

using pib::bottleneck::Kernel;
using pib::bottleneck::Matrix;

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, ','))
    fields.push_back(trim(field));
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

std::optional<double> parse_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::size_t used = 0;
  try {
    const double v = std::stod(text, &used);
    if (used != text.size()) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Reads a numeric CSV (optional header line). Errors name the file and the line.
Matrix read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) pib::raise<pib::FileError>("cannot open '", path, "'");
  std::vector<double> values;
  std::size_t cols = 0, rows = 0, line_no = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    const auto fields = split_csv(line);
    std::vector<double> row;
    std::size_t bad = fields.size();
    for (std::size_t j = 0; j < fields.size() && bad == fields.size(); ++j) {
      const auto v = parse_number(fields[j]);
      if (v)
        row.push_back(*v);
      else
        bad = j;
    }
    if (bad != fields.size()) {
      if (rows == 0 && cols == 0) {  // the header line of names
        cols = fields.size();
        continue;
      }
      pib::raise<pib::FileError>(path, ":", line_no, ": field ", bad + 1, " ('", fields[bad],
                                 "') is not a number");
    }
    if (cols == 0) cols = row.size();
    if (row.size() != cols)
      pib::raise<pib::FileError>(path, ":", line_no, ": ", row.size(), " fields, expected ", cols,
                                 " like the first line");
    for (double v : row)
      if (!std::isfinite(v)) pib::raise<pib::FileError>(path, ":", line_no, ": a value is NaN or infinite");
    values.insert(values.end(), row.begin(), row.end());
    ++rows;
  }
  if (rows == 0) pib::raise<pib::FileError>(path, ": no samples (the file is empty or has only a header)");
  if (rows < 2) pib::raise<pib::FileError>(path, ": ", rows, " sample; entropies need at least 2 rows");
  return Eigen::Map<Matrix>(values.data(), static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
}

struct Variable {
  std::string file;
  std::string kernel = "gaussian";
  double sigma = 0.0;  // 0: chosen by the width rule
};

struct Loaded {
  Matrix gram;
  nlohmann::json sigma;  // the width used (null for the linear kernel)
  std::string width;     // how it was chosen
};

Loaded load(const Variable& v, const pib::bottleneck::KernelWidth& rule) {
  Loaded out;
  const Matrix data = read_csv(v.file);
  if (v.kernel == "linear") {
    bool labels = data.cols() == 1;
    for (Eigen::Index i = 0; labels && i < data.rows(); ++i)
      labels = data(i, 0) == std::round(data(i, 0)) && data(i, 0) >= 0;
    if (labels) {
      std::vector<int> y(static_cast<std::size_t>(data.rows()));
      int classes = 0;
      for (Eigen::Index i = 0; i < data.rows(); ++i) {
        y[static_cast<std::size_t>(i)] = static_cast<int>(data(i, 0));
        classes = std::max(classes, y[static_cast<std::size_t>(i)] + 1);
      }
      out.gram = pib::bottleneck::label_gram(y, classes);
      out.width = "one-hot labels";
    } else {
      out.gram = pib::bottleneck::linear_gram(data);
      out.width = "linear";
    }
    out.sigma = nullptr;
    return out;
  }
  if (v.kernel != "gaussian")
    pib::raise<pib::InvalidArgument>("unknown kernel '", v.kernel, "' (expected gaussian or linear)");
  double sigma = v.sigma;
  if (sigma > 0.0) {
    out.width = "given";
  } else {
    sigma = rule.select(data);
    out.width = std::string(pib::bottleneck::to_string(rule.rule)) +
                (rule.rule == pib::bottleneck::WidthRule::knn ? "(k=" + std::to_string(rule.k) + ")" : "");
  }
  out.gram = pib::bottleneck::gaussian_gram(data, sigma);
  out.sigma = sigma;
  return out;
}

void add_variable_options(CLI::App* cmd, Variable& v, const std::string& name) {
  cmd->add_option("--" + name, v.file, "CSV file, one sample per row")->required()->check(CLI::ExistingFile);
  cmd->add_option("--kernel-" + name, v.kernel, "gaussian or linear")
      ->check(CLI::IsMember({"gaussian", "linear"}))
      ->capture_default_str();
  cmd->add_option("--sigma-" + name, v.sigma, "Gaussian width (default: the --width-rule)")
      ->check(CLI::PositiveNumber);
}

struct InfoOptions {
  Variable a, b;
  double alpha = 1.01;
  std::string rule = "knn";
  int k = 10;
};

void setup_info_commands(CLI::App& root) {
  auto* info = root.add_subcommand("info", "Renyi entropy and mutual information of saved features (bits)");
  info->require_subcommand(1);
  auto opts = std::make_shared<InfoOptions>();
  const auto common = [opts](CLI::App* cmd) {
    cmd->add_option("--alpha", opts->alpha, "Renyi order (> 0)")->capture_default_str();
    cmd->add_option("--width-rule", opts->rule, "kernel-width rule without --sigma: knn, median, silverman")
        ->check(CLI::IsMember({"knn", "median", "silverman"}))
        ->capture_default_str();
    cmd->add_option("--k", opts->k, "neighbours of the knn rule")->capture_default_str();
  };
  const auto width = [opts] {
    pib::bottleneck::KernelWidth w;
    w.rule = pib::bottleneck::parse_width_rule(opts->rule);
    w.k = opts->k;
    return w;
  };

  auto* mi = info->add_subcommand("mi", "I(A; B) = H(A) + H(B) - H(A, B)");
  add_variable_options(mi, opts->a, "a");
  add_variable_options(mi, opts->b, "b");
  common(mi);
  mi->callback([opts, width] {
    const Loaded a = load(opts->a, width()), b = load(opts->b, width());
    if (a.gram.rows() != b.gram.rows())
      pib::raise<pib::InvalidArgument>("'", opts->a.file, "' has ", a.gram.rows(), " samples, '",
                                       opts->b.file, "' has ", b.gram.rows(),
                                       "; rows must be the same samples");
    const auto r = pib::bottleneck::mutual_information(a.gram, b.gram, opts->alpha);
    nlohmann::json out{{"I", r.i},           {"H_a", r.h_a},         {"H_b", r.h_b},
                       {"H_ab", r.h_ab},     {"alpha", opts->alpha}, {"sigma_a", a.sigma},
                       {"sigma_b", b.sigma}, {"width_a", a.width},   {"width_b", b.width},
                       {"n", a.gram.rows()}};
    std::cout << out.dump() << "\n";
  });

  auto* entropy = info->add_subcommand("entropy", "H(A) of one file");
  add_variable_options(entropy, opts->a, "a");
  common(entropy);
  entropy->callback([opts, width] {
    const Loaded a = load(opts->a, width());
    const double h = pib::bottleneck::gram_entropy(a.gram, opts->alpha);
    nlohmann::json out{
        {"H_a", h}, {"alpha", opts->alpha}, {"sigma_a", a.sigma}, {"width_a", a.width}, {"n", a.gram.rows()}};
    std::cout << out.dump() << "\n";
  });
}

const pib::apps::CommandRegistration info_command{"info", &setup_info_commands};

}  // namespace
