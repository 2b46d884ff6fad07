// The sequential executor: one run on one thread, one event at a time, in the total order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "careflow/engine/executor_common.hpp"
#include "careflow/engine/simulation.hpp"

namespace careflow {

/// Runs a Simulation on one thread, one event at a time, in the total order.
template <FutureEventSet Fes = DefaultFes>
class SequentialExecutor {
 public:
  explicit SequentialExecutor(Simulation& sim) : sim_(sim) {}

  /// Process every event with time <= until, then finish every LP at `until`
  /// (or at the last event's time if the model ran dry first and until is infinite).
  RunStats run(SimTime until) {
    const auto n = static_cast<LpId>(sim_.lp_count());
    slots_.assign(n, LpSlot{});
    fes_.clear();
    Context ctx;
    ctx.bind(sim_);
    ctx.outbox_ = &outbox_;
    attachments_.clear();
    attach_out_.clear();
    ctx.attach_out_ = &attach_out_;
    ctx.attach_in_ = &attachments_;
    for (LpId i = 0; i < n; ++i) slots_[i].lp = &sim_.lp(i);
    auto slot_of = [this](LpId i) { return &slots_[i]; };

    LpLifecycle::start(ctx, n, slot_of, [this] { flush(); });

    RunStats stats;
    while (!fes_.empty()) {
      const Event& e = fes_.top();
      if (e.time > until) break;
      LpSlot& slot = slots_[e.target];
      ctx.deliver(*slot.lp, slot.seq, slot.hash, e);
      ++stats.events;
      if (!attach_out_.empty()) keep_attachments();
      // Hold operation: the first new event replaces the one just handled (one sift, not two).
      if (outbox_.empty()) {
        fes_.pop();
      } else {
        replace_top_or_push(fes_, outbox_.front());
        for (std::size_t i = 1; i < outbox_.size(); ++i) fes_.push(outbox_[i]);
        outbox_.clear();
      }
      if (fes_.size() > stats.peak_pending) stats.peak_pending = fes_.size();
    }

    stats.end_time = until < kForever ? until : ctx.now_;
    LpLifecycle::finish(ctx, n, stats.end_time, slot_of);
    LpLifecycle::hashes(n, slot_of, hashes_);
    stats.fingerprint = combine_fingerprint(hashes_);
    return stats;
  }

  const std::vector<std::uint64_t>& lp_hashes() const noexcept { return hashes_; }

 private:
  void flush() {
    for (const Event& e : outbox_) fes_.push(e);
    outbox_.clear();
    keep_attachments();
  }
  void keep_attachments() {
    for (OutgoingAttachment& a : attach_out_) attachments_.emplace(a.stamp, std::move(a.bytes));
    attach_out_.clear();
  }

  Simulation& sim_;
  Fes fes_;
  std::vector<Event> outbox_;
  std::vector<OutgoingAttachment> attach_out_;
  AttachmentStore attachments_;  // attachments of pending events, by stamp
  std::vector<LpSlot> slots_;
  std::vector<std::uint64_t> hashes_;
};

}  // namespace careflow
