// Counter-based random streams keyed by identity (Philox 4x64-10, Random123).
#pragma once

#include <Random123/philox.h>

#include <cstdint>

namespace careflow {

/// Identity of one random stream. A person's draws depend only on this key, never on
/// what other people did, on the thread or rank that runs them, or on event order;
/// that is what makes common random numbers across scenarios work.
struct StreamKey {
  std::uint64_t seed = 0;
  std::uint64_t replication = 0;
  std::uint64_t entity = 0;   // e.g. a person, a logical process, a service
  std::uint64_t purpose = 0;  // e.g. "inter-arrival time", "service time", "routing"
};

/// A stream of independent uniform 64-bit words. Cheap to create (no state to seed):
/// (seed, replication) is the Philox key, (entity, purpose, block index) the counter.
class RandomStream {
  using Engine = r123::Philox4x64;

 public:
  RandomStream() = default;
  explicit RandomStream(const StreamKey& k) noexcept {
    key_ = Engine::key_type{{k.seed, k.replication}};
    ctr_ = Engine::ctr_type{{0, k.purpose, k.entity, 0}};
  }

  /// Next raw 64-bit word.
  std::uint64_t next_u64() noexcept {
    if (pos_ == 4) refill();
    return block_.v[pos_++];
  }

  /// Uniform on the open interval (0, 1), 53 bits of precision; never 0 or 1, so the
  /// inverse-transform samplers may take log(u) and log(1 - u) safely.
  double uniform01() noexcept {
    return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53;
  }

 private:
  void refill() noexcept {
    block_ = Engine{}(ctr_, key_);
    ++ctr_.v[0];
    pos_ = 0;
  }

  Engine::key_type key_{};
  Engine::ctr_type ctr_{};
  Engine::ctr_type block_{};
  unsigned pos_ = 4;
};

}  // namespace careflow
