// A test model whose messages carry attachments (as person records moving between sites do),
// shared by the threaded and MPI executor tests.
#pragma once

#include <cstdint>
#include <stdexcept>

#include "careflow/engine/simulation.hpp"

namespace careflow::test {

// Messages carrying bytes (as person records moving between sites do): each message's payload
// is a checksum of its attachment, checked on arrival and folded into the next one, so a lost,
// swapped or stale attachment changes the hashes or throws.
class CarrierLp final : public LogicalProcess {
 public:
  explicit CarrierLp(std::uint32_t lps) : lps_(lps) {}
  static std::uint64_t checksum(const Attachment& a) {
    std::uint64_t h = 0xCBF29CE484222325ull;
    for (std::byte b : a) h = (h ^ static_cast<std::uint64_t>(b)) * 0x100000001B3ull;
    return h ^ a.size();
  }
  void on_start(Context& ctx) override {
    rng_ = ctx.stream(ctx.self(), 9);
    pass(ctx, ctx.self());
    pass(ctx, ctx.self() + 100);
  }
  void on_event(Context& ctx, const Event& e) override {
    const Attachment a = ctx.take_attachment();
    if (checksum(a) != e.payload) throw std::runtime_error("attachment lost or swapped");
    if (!ctx.take_attachment().empty()) throw std::runtime_error("an attachment taken twice");
    ++received_;
    pass(ctx, e.payload ^ (a.empty() ? 0 : static_cast<std::uint64_t>(a.front())));
  }
  std::uint64_t received_ = 0;

 private:
  void pass(Context& ctx, std::uint64_t seed) {
    const std::uint64_t r = rng_.next_u64() ^ seed;
    Attachment a(r % 97);
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<std::byte>((r >> (i % 56)) + i);
    const auto target = static_cast<LpId>((r >> 8) % lps_);
    const double delay = ctx.lookahead() * (1.0 + static_cast<double>((r >> 20) % 4) * 0.5);
    ctx.send_with(target, delay, 1, checksum(a), a);
  }
  std::uint32_t lps_;
  RandomStream rng_;
};

}  // namespace careflow::test
