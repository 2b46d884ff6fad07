// One run over MPI ranks (built when CAREFLOW_MPI is on): `mpirun -np N careflow run REGION.yaml`
// places the scenario's sites on the ranks and runs each replication on the conservative MPI
// executor (careflow/engine_mpi/mpi_executor.hpp); rank 0 gathers every site's figures and
// reports. See docs/cluster.md.
#pragma once

#include "careflow/models/care_model.hpp"
#include "mpi_sweep.hpp"

namespace careflow::app {

/// Every replication of `s` (options already applied), one after another, each with its sites
/// spread over the ranks (the busiest first, each to the least loaded rank). Collective: every
/// rank calls it with the same scenario and options. Rank 0 gets the whole result, the same as
/// models::run_scenario's (figures, records, fingerprints); the other ranks get replications
/// with events and fingerprints only.
models::RunResult run_over_ranks(const models::Scenario& s, const models::CareRunOptions& opt, const MpiSession& mpi);

}  // namespace careflow::app
