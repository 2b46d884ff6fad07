// What every executor shares: the future-event set used unless told otherwise, each LP's
// engine-side record (LpSlot), the hold operation, and starting and finishing the LPs
// (LpLifecycle). Models need none of this: they include simulation.hpp and an executor.
#pragma once

#include <cstdint>
#include <vector>

#include "careflow/engine/event.hpp"
#include "careflow/engine/future_event_set.hpp"
#include "careflow/engine/dary_heap.hpp"
#include "careflow/engine/ladder_queue.hpp"
#include "careflow/engine/simulation.hpp"

namespace careflow {

/// The future-event set executors use unless told otherwise, chosen by measurement
/// (bench_hold, bench_phold, bench_mmc, bench_replications; docs/performance.md).
using DefaultFes = LadderQueue;

/// One LP's engine-side state in one record, so that an event touches one cache line of
/// engine state besides the queue, not three. Every executor keeps one per LP it runs.
struct LpSlot {
  LogicalProcess* lp = nullptr;
  std::uint64_t seq = 0;   // events this LP has scheduled
  std::uint64_t hash = 0;  // of the events it has processed
};

/// The hold operation: `e` replaces the event just handled (one sift, not two) where the
/// queue offers it.
template <FutureEventSet Fes>
void replace_top_or_push(Fes& fes, const Event& e) {
  if constexpr (requires { fes.replace_top(e); }) {
    fes.replace_top(e);
  } else {
    fes.pop();
    fes.push(e);
  }
}

/// Starting and finishing LPs, the same steps under every executor. `slot_of(i)` gives LP i's
/// slot, or nullptr for an LP this executor does not run (another MPI rank's). Executors only:
/// it sets which LP the Context acts for.
class LpLifecycle {
 public:
  /// on_start of every LP that has a slot, in LP order, at time 0 on `ctx` (whose outboxes the
  /// executor has set); after each, `route()` moves what that LP scheduled and attached out of
  /// the outboxes, leaving them empty.
  template <class SlotOf, class Route>
  static void start(Context& ctx, LpId n, SlotOf&& slot_of, Route&& route) {
    for_each_lp(ctx, n, slot_of, [&](LpSlot& slot) {
      slot.lp->on_start(ctx);
      route();
    });
  }

  /// on_finish of every LP that has a slot, in LP order, at time `end`; events and attachments
  /// scheduled while finishing are dropped (never processed).
  template <class SlotOf>
  static void finish(Context& ctx, LpId n, SimTime end, SlotOf&& slot_of) {
    ctx.now_ = end;
    for_each_lp(ctx, n, slot_of, [&](LpSlot& slot) {
      slot.lp->on_finish(ctx);
      ctx.outbox_->clear();
      ctx.attach_out_->clear();
    });
  }

  /// Every LP's running hash in LP order (0 for LPs without a slot), for combine_fingerprint.
  template <class SlotOf>
  static void hashes(LpId n, SlotOf&& slot_of, std::vector<std::uint64_t>& out) {
    out.assign(n, 0);
    for (LpId i = 0; i < n; ++i)
      if (const LpSlot* slot = slot_of(i)) out[i] = slot->hash;
  }

 private:
  // f(slot) for every LP that has a slot, in LP order, with `ctx` acting for that LP.
  template <class SlotOf, class F>
  static void for_each_lp(Context& ctx, LpId n, SlotOf& slot_of, F&& f) {
    for (LpId i = 0; i < n; ++i) {
      LpSlot* slot = slot_of(i);
      if (slot == nullptr) continue;
      ctx.self_ = i;
      ctx.seq_ = &slot->seq;
      f(*slot);
    }
  }
};

}  // namespace careflow
