// What the tests of support/'s writers share: reading and writing a small file, the names in a
// folder (so that a stray temporary shows, whatever its name), and the message of the
// OutputError a call throws, also under a file size limit standing in for a full disk.
#pragma once

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "careflow/support/atomic_file.hpp"

namespace careflow::testing {

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

inline std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

/// The message of the support::OutputError that f throws ("" if it throws none).
template <class F>
std::string output_error(F f) {
  try {
    f();
  } catch (const support::OutputError& e) {
    return e.what();
  }
  return "";
}

/// output_error(f) while a file size limit of `bytes` holds: write() then fails part-way with
/// EFBIG, as on a full disk with ENOSPC (SIGXFSZ ignored, so that the write fails instead of
/// killing the process). Catch2 may write to a file while the limit holds, so the message is
/// returned and checked afterwards.
template <class F>
std::string output_error_with_file_size_limit(rlim_t bytes, F f) {
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  rlimit limited = old;
  limited.rlim_cur = bytes;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
  std::string message;
  try {
    message = output_error(f);
  } catch (...) {
    ::setrlimit(RLIMIT_FSIZE, &old);
    ::signal(SIGXFSZ, old_handler);
    throw;
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, old_handler);
  return message;
}

}  // namespace careflow::testing
