// The conservative parallel executor: one run, its logical processes partitioned across
// threads, time advanced in windows no longer than the lookahead.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "careflow/engine/executor_common.hpp"
#include "careflow/engine/simulation.hpp"
#include "careflow/engine/worker_team.hpp"

namespace careflow {

/// LP i -> partition i mod `partitions`.
inline std::vector<std::uint32_t> round_robin_partition(std::size_t lps, std::uint32_t partitions) {
  std::vector<std::uint32_t> p(lps);
  for (std::size_t i = 0; i < lps; ++i) p[i] = static_cast<std::uint32_t>(i % partitions);
  return p;
}

/// LPs in `partitions` contiguous blocks of (nearly) equal size, in LP order.
inline std::vector<std::uint32_t> block_partition(std::size_t lps, std::uint32_t partitions) {
  std::vector<std::uint32_t> p(lps);
  for (std::size_t i = 0; i < lps; ++i) p[i] = static_cast<std::uint32_t>(i * partitions / std::max<std::size_t>(lps, 1));
  return p;
}

/// Runs a Simulation with its LPs partitioned across threads (Chandy–Misra–Bryant style
/// conservative synchronisation by time windows; see docs/engine.md, "Parallel executor").
///
/// Each partition has its own future-event set. A run is a sequence of windows
/// [T, T + lookahead) where T is the earliest pending event of all partitions: within a window
/// every partition processes its events with time < T + lookahead in the total order, alone.
/// That is safe because a message to another LP has a delay of at least the lookahead
/// (`Context::send` enforces it), so nothing another partition does in this window can land in
/// it. Events for the partition's own LPs join its queue at once; events for other partitions
/// wait in per-(source, destination) outboxes and are merged into the destination's queue at the
/// start of the next window. Every LP therefore sees exactly the events, in exactly the order,
/// that the SequentialExecutor gives it, and its sequence numbers, random draws and hash are the
/// same: events, end time, fingerprint and every LP hash equal the sequential run's, for any
/// partitioning and thread count (tested). `peak_pending` is counted at window boundaries only.
///
/// Models do not change and never see threads: LP handlers of one partition run one at a
/// time; LPs of different partitions run concurrently, so LPs must share no mutable state
/// (the engine's contract already says so: LPs interact only through events).
template <FutureEventSet Fes = DefaultFes>
class ParallelExecutor {
 public:
  /// `partition[lp]` is the partition of each LP (any numbers; empty: `threads` contiguous
  /// blocks). Partitions are the unit of work: more partitions than threads is allowed.
  ParallelExecutor(Simulation& sim, unsigned threads, std::vector<std::uint32_t> partition = {})
      : sim_(sim), team_(threads), partition_(std::move(partition)), default_partition_(partition_.empty()) {}

  /// Most partitions: outboxes are kept per (source, destination) pair.
  static constexpr std::uint32_t kMaxPartitions = 1024;

  /// Process every event with time <= until, then finish every LP at `until` (or at the last
  /// event's time if the model ran dry first and until is infinite) — as SequentialExecutor.
  RunStats run(SimTime until) {
    const auto n = static_cast<LpId>(sim_.lp_count());
    if (default_partition_) partition_ = block_partition(n, team_.threads());
    if (partition_.size() != n)
      throw ContractViolation("ParallelExecutor: the partition names " + std::to_string(partition_.size()) +
                              " LPs, the simulation has " + std::to_string(n));
    const std::uint32_t parts =
        n == 0 ? 1 : *std::max_element(partition_.begin(), partition_.end()) + 1;
    if (parts > kMaxPartitions)
      throw ContractViolation("ParallelExecutor: " + std::to_string(parts) + " partitions, at most " +
                              std::to_string(kMaxPartitions) + " (a few per thread is enough)");
    const SimTime lookahead = sim_.lookahead();

    parts_.clear();
    parts_.resize(parts);
    local_index_.resize(n);
    for (LpId i = 0; i < n; ++i) {
      Partition& part = parts_[partition_[i]];
      if (part.slots.empty()) part.first = i;
      local_index_[i] = static_cast<std::uint32_t>(part.slots.size());
      part.slots.push_back(LpSlot{&sim_.lp(i), 0, 0});
    }
    // Partitions that are contiguous ranges of LPs (the default) find an LP's slot and tell
    // their own LPs from others' by subtraction: no table look-up, no cache miss, per event.
    contiguous_ = std::is_sorted(partition_.begin(), partition_.end());
    for (std::uint32_t p = 0; p < parts; ++p) {
      Partition& part = parts_[p];
      part.fes.clear();
      Context& ctx = part.ctx;
      ctx.bind(sim_);
      ctx.outbox_ = &part.local;
      ctx.attach_out_ = &part.attach_local;
      ctx.attach_in_ = &part.attachments;
      part.attachments.clear();
      part.attach_local.clear();
      for (auto& box : part.out) box.assign(parts, {});
      for (auto& box : part.attach_out) box.assign(parts, {});
    }

    // Start every LP in LP order, on this thread, as the sequential executor does.
    auto slot_ptr = [this](LpId i) { return &slot_of(i); };
    {
      Context ctx;
      ctx.bind(sim_);
      std::vector<Event> started;
      std::vector<OutgoingAttachment> attached;
      ctx.outbox_ = &started;
      ctx.attach_out_ = &attached;
      LpLifecycle::start(ctx, n, slot_ptr, [&] {
        for (const Event& e : started) parts_[partition_[e.target]].fes.push(e);
        started.clear();
        for (OutgoingAttachment& a : attached) parts_[partition_[a.target]].attachments.emplace(a.stamp, std::move(a.bytes));
        attached.clear();
      });
    }

    RunStats stats;
    for (Partition& part : parts_) {
      part.next = part.fes.empty() ? kForever : part.fes.top().time;
      stats.peak_pending += part.fes.size();
    }
    unsigned parity = 0;
    std::uint64_t processed = 0, last_window = 0, windows = 0;
    SimTime bound = 0;
    auto window = [&](std::size_t p) { process_window(static_cast<std::uint32_t>(p), parity, bound, until); };
    for (;;) {
      SimTime start = kForever;
      std::size_t pending = 0;
      std::uint64_t events = 0;
      for (const Partition& part : parts_) {
        start = std::min(start, part.next);
        pending += part.fes.size() + part.sent;
        events += part.events;
      }
      last_window = events - processed;
      processed = events;
      stats.peak_pending = std::max(stats.peak_pending, pending);
      if (!(start < kForever) || start > until) break;  // nothing left, or nothing left by `until`
      bound = start + lookahead;
      // Were the window empty (T + lookahead == T in floating point), no event would be safe.
      if (!(bound > start))
        throw ContractViolation("ParallelExecutor: the lookahead " + std::to_string(lookahead) +
                                " is below the resolution of simulated time at " + std::to_string(start));
      // A window about as small as the last one costs less on this thread alone than a barrier
      // (the order in which partitions run within a window does not matter to the results).
      if (windows++ > 0 && last_window < min_window_for_threads_) {
        for (std::uint32_t p = 0; p < parts; ++p) window(p);
      } else {
        team_.for_each(parts, window);
      }
      parity ^= 1u;
    }

    SimTime last = 0;
    for (const Partition& part : parts_) {
      stats.events += part.events;
      last = std::max(last, part.last_time);
    }
    stats.end_time = until < kForever ? until : last;
    Context ctx;
    ctx.bind(sim_);
    std::vector<Event> dropped;  // events scheduled while finishing are never processed
    std::vector<OutgoingAttachment> dropped_attachments;
    ctx.outbox_ = &dropped;
    ctx.attach_out_ = &dropped_attachments;
    LpLifecycle::finish(ctx, n, stats.end_time, slot_ptr);
    LpLifecycle::hashes(n, slot_ptr, hashes_);
    stats.fingerprint = combine_fingerprint(hashes_);
    return stats;
  }

  const std::vector<std::uint64_t>& lp_hashes() const noexcept { return hashes_; }
  unsigned threads() const noexcept { return team_.threads(); }

  /// Windows are run on the calling thread alone while the previous window processed fewer
  /// events than this (default 256: a barrier costs about as much as a few dozen events);
  /// 0: always on the team. Results are the same either way.
  void set_min_window_for_threads(std::uint64_t events) noexcept { min_window_for_threads_ = events; }

 private:
  // Everything one partition touches in a window, apart from other partitions' outboxes to
  // it. Aligned so that two partitions never write to one cache line.
  struct alignas(64) Partition {
    Fes fes;
    std::vector<LpSlot> slots;  // this partition's LPs (per partition: no false sharing)
    std::vector<Event> local;   // the Context's outbox: what the current handler scheduled
    // out[parity][destination]: events for other partitions, written in windows of that
    // parity, read and cleared by the destination at the start of the next window.
    std::vector<std::vector<Event>> out[2];
    // Attachments travel beside their events: kept here for own LPs, in outboxes for others.
    AttachmentStore attachments;
    std::vector<OutgoingAttachment> attach_local;
    std::vector<std::vector<OutgoingAttachment>> attach_out[2];
    Context ctx;
    LpId first = 0;           // its lowest LP
    SimTime next = kForever;  // earliest event this partition has pending or has sent
    SimTime last_time = 0;    // of the last event it processed
    std::uint64_t events = 0;
    std::size_t sent = 0;  // events in its outboxes after the last window
  };

  LpSlot& slot_of(LpId lp) { return parts_[partition_[lp]].slots[local_index_[lp]]; }

  void process_window(std::uint32_t p, unsigned parity, SimTime bound, SimTime until) {
    Partition& part = parts_[p];
    Fes& fes = part.fes;
    // What other partitions sent in the previous window (none of it before this window).
    for (Partition& source : parts_) {
      std::vector<Event>& box = source.out[parity ^ 1u][p];
      for (const Event& e : box) fes.push(e);
      box.clear();
      std::vector<OutgoingAttachment>& att = source.attach_out[parity ^ 1u][p];
      for (OutgoingAttachment& a : att) part.attachments.emplace(a.stamp, std::move(a.bytes));
      att.clear();
    }
    std::vector<std::vector<Event>>& out = part.out[parity];
    Context& ctx = part.ctx;
    std::vector<Event>& local = part.local;
    SimTime sent_min = kForever;
    std::size_t sent = 0;
    while (!fes.empty()) {
      const Event& e = fes.top();
      if (!(e.time < bound) || e.time > until) break;
      LpSlot& slot = part.slots[contiguous_ ? e.target - part.first : local_index_[e.target]];
      ctx.deliver(*slot.lp, slot.seq, slot.hash, e);
      ++part.events;
      if (!part.attach_local.empty()) {
        for (OutgoingAttachment& a : part.attach_local) {
          const bool own = contiguous_ ? a.target - part.first < part.slots.size() : partition_[a.target] == p;
          if (own) part.attachments.emplace(a.stamp, std::move(a.bytes));
          else part.attach_out[parity][partition_[a.target]].push_back(std::move(a));
        }
        part.attach_local.clear();
      }
      part.last_time = e.time;
      // Hold: the first event for this partition replaces the one just handled.
      bool held = false;
      for (const Event& ev : local) {
        const bool own = contiguous_ ? ev.target - part.first < part.slots.size() : partition_[ev.target] == p;
        if (!own) {
          out[partition_[ev.target]].push_back(ev);
          sent_min = std::min(sent_min, ev.time);
          ++sent;
        } else if (!held) {
          replace_top_or_push(fes, ev);
          held = true;
        } else {
          fes.push(ev);
        }
      }
      if (!held) fes.pop();
      local.clear();
    }
    part.sent = sent;
    part.next = std::min(fes.empty() ? kForever : fes.top().time, sent_min);
  }

  Simulation& sim_;
  WorkerTeam team_;
  std::vector<std::uint32_t> partition_;   // LP -> partition (read-only during a run)
  bool default_partition_;                 // blocks, one per thread, for whatever LPs there are
  std::vector<std::uint32_t> local_index_;  // LP -> index in its partition's slots
  bool contiguous_ = false;                  // every partition a range of LPs, in LP order
  std::uint64_t min_window_for_threads_ = 256;  // a window after one of fewer events runs on this thread
  std::vector<Partition> parts_;
  std::vector<std::uint64_t> hashes_;
};

}  // namespace careflow
