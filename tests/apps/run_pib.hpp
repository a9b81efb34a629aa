#pragma once
// Running the built `pib` program from a test as a user runs it (PIB_PROGRAM, PIB_SOURCE_DIR from CMake).

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

namespace pib::test {

inline std::string text_of(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Outcome {
  int exit_code;
  std::string err;  // what pib wrote to stderr
};

// Runs `[launcher] pib <args>` from the source directory (where configs/ is); stdout discarded, stderr
// captured through a file in `scratch`. `launcher` is e.g. "mpirun -np 2", or empty.
inline Outcome run_pib(const std::string& launcher, const std::string& args, const std::filesystem::path& scratch) {
  const auto err = scratch / "stderr.txt";
  const std::string command = std::string("cd '") + PIB_SOURCE_DIR + "' && " + launcher + " '" + PIB_PROGRAM +
                              "' " + args + " > /dev/null 2> '" + err.string() + "'";
  const int status = std::system(command.c_str());
  REQUIRE(WIFEXITED(status));
  return {WEXITSTATUS(status), text_of(err)};
}

}  // namespace pib::test
