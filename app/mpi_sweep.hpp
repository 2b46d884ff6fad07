// Sweeps over MPI ranks (built when CAREFLOW_MPI is on): rank 0 coordinates and hands out
// (point, replication) tasks one at a time to whichever rank asks; results come back to rank 0,
// which journals them and writes the one results file. See docs/cluster.md.
#pragma once

#include <string>

#include "careflow/models/sweep.hpp"

namespace careflow::app {

/// The rank and number of ranks a launcher (mpirun, mpiexec, srun) gave this process, read from
/// the environment without initialising MPI; rank 0 and size 1 when not launched by one.
int launch_rank();
int launch_size();
/// True when a launcher started this process (even as a single rank).
bool launched_by_mpi();

/// This process's MPI: MPI_Init_thread on construction (see mpi_session()).
class MpiSession {
 public:
  MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  /// Threads each rank computes on by default: the cores this process may use, shared among the
  /// ranks on the same machine, at least 1.
  unsigned default_threads() const { return default_threads_; }

 private:
  int rank_ = 0, size_ = 1;
  unsigned default_threads_ = 1;
};

/// Initialises MPI on the first call.
const MpiSession& mpi_session();
/// When MPI was initialised: waits for every rank, then MPI_Finalize. main() calls it once the
/// outcome is printed: mpirun ends the whole job as soon as one rank exits non-zero, which must
/// not cut rank 0's message short.
void mpi_finalize();

/// Rank 0 tells every rank whether to go on (0) or exit with this status; returns it on every rank.
int broadcast_status(int status);

/// Rank 0: the executor of models::run_sweep that hands the tasks out to every rank (and computes
/// on `threads` threads itself unless `root_works` is false). Throws, once every rank has stopped,
/// when a rank failed, naming it.
models::SweepExecutor mpi_coordinator(const MpiSession& mpi, unsigned threads, bool root_works);

/// Ranks other than 0: computes the tasks rank 0 hands out, on `threads` threads, until told to
/// stop. `plan_or_error` builds the plan (an error there is reported to rank 0 as this rank's
/// failure). Returns the rank's exit status (0, or 1 when it failed).
int mpi_worker(const MpiSession& mpi, unsigned threads, const std::function<models::SweepPlan()>& plan_or_error);

}  // namespace careflow::app
