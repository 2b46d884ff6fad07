// The conservative executor over MPI ranks: one run, its logical processes placed on ranks,
// time advanced in windows no longer than the lookahead (as the threaded ParallelExecutor).
// Outside the engine's main include root because it includes <mpi.h>: only the target
// careflow::engine_mpi exposes this folder.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <vector>

#include "careflow/engine/dary_heap.hpp"
#include "careflow/engine/executor_common.hpp"
#include "careflow/engine/ladder_queue.hpp"
#include "careflow/engine/simulation.hpp"

namespace careflow {

/// Runs a Simulation with its LPs placed on the ranks of an MPI communicator. Every rank builds
/// the same Simulation (all LPs); LP i is run only by rank `owner[i]`, the others never call it.
///
/// A run is a sequence of windows [T, T + lookahead), T the earliest pending event of all
/// ranks (MPI_Allreduce): each rank processes its events with time < T + lookahead in the total
/// order, alone, and then the events (with their attachments) for other ranks' LPs are
/// exchanged (MPI_Alltoallv) before the next window. As for the threaded executor, a message to
/// another LP has a delay of at least the lookahead, so nothing another rank does in a window
/// can land in it: every LP sees exactly the events, in exactly the order, that the
/// SequentialExecutor gives it. Events, end time, fingerprint and every LP hash (known on every
/// rank after the run) equal the sequential run's, for any placement and rank count (tested
/// with mpirun). Communication per window: one all-reduce and one all-to-all.
///
/// Collective: every rank of `comm` must call run() with the same arguments. Built for the
/// future-event sets the engine provides (LadderQueue, the default, and DaryHeap<4>; explicit
/// instantiations in mpi_executor.cpp).
template <FutureEventSet Fes = DefaultFes>
class MpiExecutor {
 public:
  /// `owner[lp]`: the rank that runs each LP (empty: contiguous blocks, one per rank).
  MpiExecutor(Simulation& sim, MPI_Comm comm, std::vector<int> owner = {});

  RunStats run(SimTime until);

  /// Every LP's hash (the same on every rank after run()).
  const std::vector<std::uint64_t>& lp_hashes() const noexcept { return hashes_; }
  int rank() const noexcept { return rank_; }
  int ranks() const noexcept { return ranks_; }
  /// Windows run (the same on every rank).
  std::uint64_t windows() const noexcept { return windows_; }

 private:
  void route();     // the handler's new events and attachments: here or to other ranks
  void exchange();  // send what other ranks' LPs were sent, receive ours

  Simulation& sim_;
  MPI_Comm comm_;
  int rank_ = 0, ranks_ = 1;
  std::vector<int> owner_;
  Fes fes_;
  std::vector<LpSlot> slots_;
  std::vector<Event> local_;
  std::vector<OutgoingAttachment> attach_local_;
  AttachmentStore attachments_;
  std::vector<std::vector<Event>> out_;                     // per destination rank
  std::vector<std::vector<OutgoingAttachment>> attach_out_;  // per destination rank
  std::vector<std::uint64_t> hashes_;
  std::uint64_t windows_ = 0;
};

extern template class MpiExecutor<LadderQueue>;
extern template class MpiExecutor<DaryHeap<4>>;

}  // namespace careflow
