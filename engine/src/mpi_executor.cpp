#include "careflow/engine_mpi/mpi_executor.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <string>

#include "careflow/engine/bytes.hpp"

namespace careflow {
namespace {

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("MPI: ") + what + " failed");
}

}  // namespace

template <FutureEventSet Fes>
MpiExecutor<Fes>::MpiExecutor(Simulation& sim, MPI_Comm comm, std::vector<int> owner)
    : sim_(sim), comm_(comm), owner_(std::move(owner)) {
  check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(comm_, &ranks_), "MPI_Comm_size");
}

template <FutureEventSet Fes>
void MpiExecutor<Fes>::route() {
  bool held = false;
  for (const Event& e : local_) {
    if (owner_[e.target] != rank_) {
      out_[static_cast<std::size_t>(owner_[e.target])].push_back(e);
    } else if (!held) {
      // Hold: the first event for this rank replaces the one just handled.
      replace_top_or_push(fes_, e);
      held = true;
    } else {
      fes_.push(e);
    }
  }
  if (!held) fes_.pop();
  local_.clear();
  for (OutgoingAttachment& a : attach_local_) {
    if (owner_[a.target] == rank_) attachments_.emplace(a.stamp, std::move(a.bytes));
    else attach_out_[static_cast<std::size_t>(owner_[a.target])].push_back(std::move(a));
  }
  attach_local_.clear();
}

template <FutureEventSet Fes>
void MpiExecutor<Fes>::exchange() {
  const auto n = static_cast<std::size_t>(ranks_);
  std::vector<char> send;
  std::vector<int> send_counts(n, 0), send_displs(n, 0), recv_counts(n, 0), recv_displs(n, 0);
  ByteWriter w(send);
  for (std::size_t r = 0; r < n; ++r) {
    const std::size_t before = send.size();
    send_displs[r] = static_cast<int>(before);
    w.pods(out_[r]);
    w.pod<std::uint64_t>(attach_out_[r].size());
    for (const OutgoingAttachment& a : attach_out_[r]) {
      w.pod(a.stamp);
      w.pod(a.target);
      w.pods(a.bytes);
    }
    if (send.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
      throw std::runtime_error("MpiExecutor: more than 2 GiB of messages in one window");
    send_counts[r] = static_cast<int>(send.size() - before);
    out_[r].clear();
    attach_out_[r].clear();
  }
  check(MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, comm_), "MPI_Alltoall");
  std::size_t total = 0;
  for (std::size_t r = 0; r < n; ++r) {
    recv_displs[r] = static_cast<int>(total);
    total += static_cast<std::size_t>(recv_counts[r]);
  }
  std::vector<char> recv(total);
  check(MPI_Alltoallv(send.data(), send_counts.data(), send_displs.data(), MPI_BYTE, recv.data(), recv_counts.data(),
                      recv_displs.data(), MPI_BYTE, comm_),
        "MPI_Alltoallv");
  for (std::size_t r = 0; r < n; ++r) {
    if (recv_counts[r] == 0) continue;
    ByteReader in(recv.data() + recv_displs[r], static_cast<std::size_t>(recv_counts[r]));
    for (const Event& e : in.pods<Event>()) fes_.push(e);
    const auto attached = in.pod<std::uint64_t>();
    for (std::uint64_t k = 0; k < attached; ++k) {
      const auto stamp = in.pod<std::uint64_t>();
      (void)in.pod<LpId>();
      attachments_.emplace(stamp, in.pods<std::byte>());
    }
    if (!in.done()) throw std::runtime_error("MpiExecutor: a message from rank " + std::to_string(r) + " is longer than its contents");
  }
}

template <FutureEventSet Fes>
RunStats MpiExecutor<Fes>::run(SimTime until) {
  const auto n = static_cast<LpId>(sim_.lp_count());
  if (owner_.empty()) {
    owner_.resize(n);
    for (LpId i = 0; i < n; ++i) owner_[i] = static_cast<int>(static_cast<std::uint64_t>(i) * ranks_ / std::max<LpId>(n, 1));
  }
  if (owner_.size() != n)
    throw ContractViolation("MpiExecutor: the placement names " + std::to_string(owner_.size()) + " LPs, the simulation has " +
                            std::to_string(n));
  for (int o : owner_)
    if (o < 0 || o >= ranks_) throw ContractViolation("MpiExecutor: an LP placed on rank " + std::to_string(o) + " of " + std::to_string(ranks_));
  const SimTime lookahead = sim_.lookahead();
  fes_.clear();
  slots_.assign(n, LpSlot{});
  attachments_.clear();
  out_.assign(static_cast<std::size_t>(ranks_), {});
  attach_out_.assign(static_cast<std::size_t>(ranks_), {});
  windows_ = 0;
  Context ctx;
  ctx.bind(sim_);
  ctx.outbox_ = &local_;
  ctx.attach_out_ = &attach_local_;
  ctx.attach_in_ = &attachments_;
  for (LpId i = 0; i < n; ++i) slots_[i].lp = &sim_.lp(i);
  auto slot_of = [this](LpId i) { return owner_[i] == rank_ ? &slots_[i] : nullptr; };  // this rank's LPs

  // Start this rank's LPs in LP order.
  LpLifecycle::start(ctx, n, slot_of, [this] {
    for (const Event& e : local_) {
      if (owner_[e.target] == rank_) fes_.push(e);
      else out_[static_cast<std::size_t>(owner_[e.target])].push_back(e);
    }
    local_.clear();
    for (OutgoingAttachment& a : attach_local_) {
      if (owner_[a.target] == rank_) attachments_.emplace(a.stamp, std::move(a.bytes));
      else attach_out_[static_cast<std::size_t>(owner_[a.target])].push_back(std::move(a));
    }
    attach_local_.clear();
  });

  std::uint64_t events = 0;
  std::size_t peak = 0;
  SimTime last = 0;
  for (;;) {
    exchange();
    peak = std::max(peak, fes_.size());
    const double mine = fes_.empty() ? kForever : fes_.top().time;
    double start = kForever;
    check(MPI_Allreduce(&mine, &start, 1, MPI_DOUBLE, MPI_MIN, comm_), "MPI_Allreduce");
    if (!(start < kForever) || start > until) break;
    const SimTime bound = start + lookahead;
    if (!(bound > start))
      throw ContractViolation("MpiExecutor: the lookahead " + std::to_string(lookahead) +
                              " is below the resolution of simulated time at " + std::to_string(start));
    ++windows_;
    while (!fes_.empty()) {
      const Event& e = fes_.top();
      if (!(e.time < bound) || e.time > until) break;
      LpSlot& slot = slots_[e.target];
      ctx.deliver(*slot.lp, slot.seq, slot.hash, e);
      ++events;
      last = e.time;
      route();
    }
  }

  RunStats stats;
  check(MPI_Allreduce(&events, &stats.events, 1, MPI_UINT64_T, MPI_SUM, comm_), "MPI_Allreduce");
  SimTime last_all = 0;
  check(MPI_Allreduce(&last, &last_all, 1, MPI_DOUBLE, MPI_MAX, comm_), "MPI_Allreduce");
  std::uint64_t peak_local = peak, peak_all = 0;
  check(MPI_Allreduce(&peak_local, &peak_all, 1, MPI_UINT64_T, MPI_SUM, comm_), "MPI_Allreduce");
  stats.peak_pending = peak_all;  // the sum of the ranks' peaks (an upper bound on the whole's)
  stats.end_time = until < kForever ? until : last_all;
  LpLifecycle::finish(ctx, n, stats.end_time, slot_of);
  std::vector<std::uint64_t> mine;  // this rank's LPs' hashes, 0 for the others'
  LpLifecycle::hashes(n, slot_of, mine);
  hashes_.assign(n, 0);
  check(MPI_Allreduce(mine.data(), hashes_.data(), static_cast<int>(n), MPI_UINT64_T, MPI_BXOR, comm_), "MPI_Allreduce");
  stats.fingerprint = combine_fingerprint(hashes_);
  return stats;
}

template class MpiExecutor<LadderQueue>;
template class MpiExecutor<DaryHeap<4>>;

}  // namespace careflow
