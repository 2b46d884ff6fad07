// The model's side of the engine: logical processes, the Context they act through, and the
// Simulation that holds them. The executors that run a Simulation are in sequential_executor.hpp,
// parallel_executor.hpp and (built with MPI) careflow/engine_mpi/mpi_executor.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <stdexcept>
#include <string>
#include <vector>

#include "careflow/engine/event.hpp"
#include "careflow/engine/future_event_set.hpp"
#include "careflow/engine/random.hpp"

namespace careflow {

/// Raised when a model breaks the engine's contract (e.g. a message faster than the lookahead).
class ContractViolation : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// Bytes sent with a message (e.g. a person's record moving to another LP), kept by the
/// executor until the destination handles the message. Keyed by the message's stamp, which is
/// unique and the same under every executor, so attachments change no event and no hash.
using Attachment = std::vector<std::byte>;
struct OutgoingAttachment {
  std::uint64_t stamp = 0;
  LpId target = 0;
  Attachment bytes;
};
using AttachmentStore = std::unordered_map<std::uint64_t, Attachment>;

class LogicalProcess;
class Simulation;

/// What a logical process may do while handling an event: read the clock, draw from keyed
/// random streams, and schedule events for itself or send messages to other LPs.
/// The same Context serves every executor, so models never see threads or ranks.
class Context {
 public:
  SimTime now() const noexcept { return now_; }
  LpId self() const noexcept { return self_; }
  SimTime lookahead() const noexcept { return lookahead_; }
  std::uint64_t seed() const noexcept { return seed_; }
  std::uint64_t replication() const noexcept { return replication_; }

  /// The random stream of (entity, purpose) in this run's (seed, replication).
  RandomStream stream(std::uint64_t entity, std::uint64_t purpose) const noexcept {
    return RandomStream(StreamKey{seed_, replication_, entity, purpose});
  }

  /// An event for this LP after `delay` >= 0 days.
  void schedule(SimTime delay, std::uint32_t kind, std::uint64_t payload = 0, std::int16_t priority = 0) {
    if (!(delay >= 0.0)) throw ContractViolation("schedule: delay must be >= 0, got " + std::to_string(delay));
    emit(self_, delay, kind, payload, priority);
  }

  /// An event for this LP at absolute time `time` >= now() (exactly that time: no rounding
  /// through a delay).
  void schedule_at(SimTime time, std::uint32_t kind, std::uint64_t payload = 0, std::int16_t priority = 0) {
    if (!(time >= now_)) throw ContractViolation("schedule_at: time " + std::to_string(time) + " is before now");
    emit_at(self_, time, kind, payload, priority);
  }

  /// A message to another LP; its delay must be at least the lookahead, which is what lets
  /// a parallel executor process LPs of different partitions concurrently.
  void send(LpId target, SimTime delay, std::uint32_t kind, std::uint64_t payload = 0, std::int16_t priority = 0) {
    if (target == self_) {
      schedule(delay, kind, payload, priority);
      return;
    }
    if (target >= lp_count_) throw ContractViolation("send: no logical process " + std::to_string(target));
    if (!(delay >= lookahead_))
      throw ContractViolation("send: delay " + std::to_string(delay) + " is below the lookahead " +
                              std::to_string(lookahead_));
    emit(target, delay, kind, payload, priority);
  }

  /// A message with bytes attached (to another LP, with the same lookahead rule as send, or to
  /// this LP). The destination gets them with take_attachment() while handling the message.
  void send_with(LpId target, SimTime delay, std::uint32_t kind, std::uint64_t payload,
                 std::span<const std::byte> bytes, std::int16_t priority = 0) {
    send(target, delay, kind, payload, priority);
    attach_out_->push_back(OutgoingAttachment{outbox_->back().stamp, target, Attachment(bytes.begin(), bytes.end())});
  }

  /// The bytes attached to the event being handled (moved out: a second call gets none).
  Attachment take_attachment() {
    if (attach_in_ == nullptr) return {};
    auto it = attach_in_->find(stamp_);
    if (it == attach_in_->end()) return {};
    Attachment bytes = std::move(it->second);
    attach_in_->erase(it);
    return bytes;
  }

 private:
  template <FutureEventSet>
  friend class SequentialExecutor;
  template <FutureEventSet>
  friend class ParallelExecutor;
  template <FutureEventSet>
  friend class MpiExecutor;
  friend class LpLifecycle;

  // For executors: a context for `sim`'s run (LP count, lookahead, seed, replication).
  void bind(const Simulation& sim) noexcept;
  // For executors: LP e.target (`lp`, with its sequence counter and hash) handles e at e.time.
  void deliver(LogicalProcess& lp, std::uint64_t& seq, std::uint64_t& hash, const Event& e);

  void emit(LpId target, SimTime delay, std::uint32_t kind, std::uint64_t payload, std::int16_t priority) {
    emit_at(target, now_ + delay, kind, payload, priority);
  }
  void emit_at(LpId target, SimTime time, std::uint32_t kind, std::uint64_t payload, std::int16_t priority) {
    if (kind > 0xFFFFu) throw ContractViolation("event kind " + std::to_string(kind) + " is above 65535");
    if (*seq_ >= Event::kMaxSequence) throw ContractViolation("an LP scheduled more than 2^40 events");
    Event e;
    e.time = time;
    e.stamp = Event::make_stamp(self_, (*seq_)++);
    e.payload = payload;
    e.target = target;
    e.kind = static_cast<std::uint16_t>(kind);
    e.priority = priority;
    outbox_->push_back(e);
  }

  SimTime now_ = 0;
  LpId self_ = 0;
  LpId lp_count_ = 0;
  SimTime lookahead_ = 0;
  std::uint64_t seed_ = 0, replication_ = 0;
  std::uint64_t* seq_ = nullptr;
  std::uint64_t stamp_ = 0;  // of the event being handled
  std::vector<Event>* outbox_ = nullptr;
  std::vector<OutgoingAttachment>* attach_out_ = nullptr;  // what handlers attached, for the executor to route
  AttachmentStore* attach_in_ = nullptr;                   // attachments of events this LP may handle
};

/// The model <-> engine contract. All model state lives in LPs; LPs interact only through
/// events. on_start runs at time 0, on_event for each event in the total order, on_finish
/// at the end time (close time-weighted statistics there).
class LogicalProcess {
 public:
  virtual ~LogicalProcess() = default;
  virtual void on_start(Context&) {}
  virtual void on_event(Context& ctx, const Event& event) = 0;
  virtual void on_finish(Context&) {}
};

/// A model instance ready to run: its LPs, its lookahead and its random identity.
class Simulation {
 public:
  Simulation(std::uint64_t seed, std::uint64_t replication, SimTime lookahead)
      : seed_(seed), replication_(replication), lookahead_(lookahead) {
    if (!(lookahead > 0.0)) throw ContractViolation("lookahead must be > 0");
  }

  LpId add(std::unique_ptr<LogicalProcess> lp) {
    if (lps_.size() + 1 >= Event::kMaxLps) throw ContractViolation("more logical processes than events can address");
    lps_.push_back(std::move(lp));
    return static_cast<LpId>(lps_.size() - 1);
  }
  template <class T, class... Args>
  T& emplace(Args&&... args) {
    auto p = std::make_unique<T>(std::forward<Args>(args)...);
    T& ref = *p;
    add(std::move(p));
    return ref;
  }

  LogicalProcess& lp(LpId id) { return *lps_.at(id); }
  std::size_t lp_count() const noexcept { return lps_.size(); }
  SimTime lookahead() const noexcept { return lookahead_; }
  std::uint64_t seed() const noexcept { return seed_; }
  std::uint64_t replication() const noexcept { return replication_; }

 private:
  std::uint64_t seed_, replication_;
  SimTime lookahead_;
  std::vector<std::unique_ptr<LogicalProcess>> lps_;
};

inline void Context::bind(const Simulation& sim) noexcept {
  lp_count_ = static_cast<LpId>(sim.lp_count());
  lookahead_ = sim.lookahead();
  seed_ = sim.seed();
  replication_ = sim.replication();
}

/// What a run did. The fingerprint hashes every LP's event stream in its processing order,
/// combined in LP order, so it is the same for any executor, partitioning or thread count.
struct RunStats {
  std::uint64_t events = 0;
  SimTime end_time = 0;
  std::uint64_t fingerprint = 0;
  std::size_t peak_pending = 0;
};

/// Running 64-bit hash of an LP's event stream (processing order matters).
inline std::uint64_t mix_event(std::uint64_t h, const Event& e) noexcept {
  auto step = [](std::uint64_t acc, std::uint64_t x) {
    acc ^= x + 0x9E3779B97F4A7C15ull + (acc << 6) + (acc >> 2);
    return acc;
  };
  std::uint64_t t;
  static_assert(sizeof t == sizeof e.time);
  __builtin_memcpy(&t, &e.time, sizeof t);
  h = step(h, t);
  h = step(h, e.stamp);
  h = step(h, (static_cast<std::uint64_t>(static_cast<std::uint16_t>(e.priority)) << 48) |
                  (static_cast<std::uint64_t>(e.kind) << 32) | e.target);
  return step(h, e.payload);
}

inline void Context::deliver(LogicalProcess& lp, std::uint64_t& seq, std::uint64_t& hash, const Event& e) {
  now_ = e.time;
  self_ = e.target;
  seq_ = &seq;
  stamp_ = e.stamp;
  hash = mix_event(hash, e);
  lp.on_event(*this, e);
}

/// Combine per-LP hashes into one run fingerprint (splitmix64 finaliser per LP).
std::uint64_t combine_fingerprint(const std::vector<std::uint64_t>& lp_hashes) noexcept;

}  // namespace careflow
