// libFuzzer target over the results reader (careflow report, animate, open_results): any bytes,
// written to a file and read as a run's results, must either read or be refused with a
// ResultsFileError naming the file. Anything else -- another exception, a crash, a sanitizer
// report, a hang, memory past -rss_limit_mb -- is a bug.
//
// Seeds (results-corpus/): a small sealed file (format 2) and the same file as format 1 (no
// seal). Mutations of the first exercise the seal's parser and checksum; of the second, the
// child process that reads a file without a seal (a crash of HDF5 there is a refusal here).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "careflow/io/hdf5_reader.hpp"

namespace {

const std::string& scratch_file() {
  static const std::string path =
      (std::filesystem::temp_directory_path() / ("careflow-fuzz-results-" + std::to_string(::getpid()) + ".h5")).string();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream out(scratch_file(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    (void)careflow::io::read_results_hdf5(scratch_file());
  } catch (const careflow::io::ResultsFileError&) {
    // Refused, naming the file.
  }
  std::error_code ec;
  std::filesystem::remove(scratch_file(), ec);
  return 0;
}
