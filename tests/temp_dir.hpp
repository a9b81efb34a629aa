#pragma once
// A fresh empty directory under the system temporary directory for one test, removed by the destructor.
// Names are unique per process and call (`pib_<tag>_<pid>_<k>`), so test programs may run in parallel.

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace pib::test {

class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("pib_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace pib::test
