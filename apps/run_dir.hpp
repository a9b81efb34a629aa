#pragma once
// Shared plumbing of the long-running commands (rl, latency, train): loading a JSON config with --set
// overrides, creating the run directory, writing JSON files atomically, and the progress line.

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/binary_io.hpp"
#include "common/config.hpp"
#include "common/error.hpp"

namespace pib::apps {

// Reads a JSON file; a missing file or malformed JSON is a FileError naming the file (and the position).
inline nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) raise<FileError>(path, ": cannot open (missing or unreadable)");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    raise<FileError>(path, ": not valid JSON: ", e.what());
  }
}

// The config file with every --set key.path=value applied in order.
inline nlohmann::json load_config(const std::string& path, const std::vector<std::string>& overrides) {
  nlohmann::json j = path.empty() ? nlohmann::json::object() : read_json_file(path);
  for (const auto& o : overrides)
    apply_override(j, o);
  return j;
}

// Writes `j` to `path` atomically (pib::write_file_atomically).
inline void write_json_file(const std::filesystem::path& path, const nlohmann::json& j) {
  write_file_atomically(path, j.dump(2) + "\n");
}

// A new run directory: `requested` if given (created if absent), else runs/<stem>-seed<S>[-k].
inline std::filesystem::path make_run_dir(const std::string& requested, const std::string& stem,
                                          std::uint64_t seed) {
  std::filesystem::path dir = requested;
  if (dir.empty()) {
    const std::string base = "runs/" + stem + "-seed" + std::to_string(seed);
    dir = base;
    for (int k = 1; std::filesystem::exists(dir); ++k)
      dir = base + "-" + std::to_string(k);
  }
  std::filesystem::create_directories(dir);
  return dir;
}

// One progress line on stderr: rewritten in place on a terminal, a new line otherwise.
inline void progress_line(const std::string& text, bool final = false) {
  static const bool tty = isatty(fileno(stderr));
  if (tty) {
    std::fprintf(stderr, "\r\033[K%s%s", text.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", text.c_str());
  }
  std::fflush(stderr);
}

}  // namespace pib::apps
