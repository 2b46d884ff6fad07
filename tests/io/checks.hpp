// The checks of the HDF5 writers' sample programs (write_sample_results --check-failures,
// write_sample_sweep --check): a failed check is counted and named on stderr and the run goes
// on, so one run lists every failure; the program's exit status comes from report().
#pragma once

#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace careflow::io_checks {

inline int failures = 0;

inline void expect(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::cerr << "FAILED: " << what << '\n';
  }
}

// Runs f, which must throw std::runtime_error whose message contains each of `needles`.
inline void expect_throw(const std::string& what, const std::function<void()>& f, const std::vector<std::string>& needles) {
  try {
    f();
    expect(false, what + ": no exception");
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    for (const auto& n : needles)
      expect(msg.find(n) != std::string::npos, what + ": message lacks '" + n + "': " + msg);
    std::cout << "ok: " << what << ": " << msg << '\n';
  } catch (const std::exception& e) {
    expect(false, what + ": wrong exception type: " + e.what());
  }
}

inline std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The exit status of the checks: 1 (and how many failed) if any failed, 0 (and `all_passed`).
inline int report(const std::string& all_passed) {
  if (failures > 0) {
    std::cerr << failures << " check(s) failed\n";
    return 1;
  }
  std::cout << all_passed << '\n';
  return 0;
}

}  // namespace careflow::io_checks
