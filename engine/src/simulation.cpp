#include "careflow/engine/simulation.hpp"

namespace careflow {

std::uint64_t combine_fingerprint(const std::vector<std::uint64_t>& lp_hashes) noexcept {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (std::size_t i = 0; i < lp_hashes.size(); ++i) {
    std::uint64_t z = lp_hashes[i] + 0x9E3779B97F4A7C15ull * (i + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    h = (h ^ z) * 0x100000001B3ull;
  }
  return h;
}

}  // namespace careflow
