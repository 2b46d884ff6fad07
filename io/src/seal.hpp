// The integrity seal of a results file: careflow's header in the file's first 512 bytes (the
// HDF5 user block, which HDF5 itself ignores, so h5py and the HDF5 tools read the file as
// before). It holds the file's length and the SHA-256 of everything after the user block:
//
//   careflow results file\n
//   seal 1\n
//   bytes 123456\n
//   sha256 0f1e...(64 hex digits)\n
//   (zero bytes to offset 512)
//
// The reader checks the seal before the HDF5 library sees one byte of metadata: the library
// can crash on damaged metadata, so a file whose bytes are not the ones careflow wrote is
// refused instead of opened. Any byte changed, cut off or added is detected (the header's
// own bytes by parsing it strictly, the rest by the digest). Check by hand with
//   tail -c +513 FILE | sha256sum
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace careflow::io {

inline constexpr std::size_t kUserBlockBytes = 512;

/// Puts the user block, holding the seal, in front of `image` (a whole HDF5 file made with a
/// user block of kUserBlockBytes, as H5Fget_file_image returns it: without the user block).
void seal_image(std::vector<char>& image);

enum class Seal {
  sealed,    // the seal is intact and matches the file's bytes
  unsealed,  // no careflow seal: a file of format 1, or one written by another program
};

/// Checks the seal of the file at `path` (reading it once, in bounded memory). Throws
/// ResultsFileError naming the file when the seal is there but does not match: the file is
/// damaged (cut short, bytes added, bytes changed).
Seal check_seal(const std::string& path);

}  // namespace careflow::io
