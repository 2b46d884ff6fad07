#include "mpi_run.hpp"

#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "careflow/engine/bytes.hpp"
#include "careflow/engine_mpi/mpi_executor.hpp"

namespace careflow::app {
namespace {

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("MPI: ") + what + " failed");
}

// The sites of a replication on ranks: MpiExecutor runs them, figures come back to rank 0.
class MpiSiteRunner final : public models::SiteRunner {
 public:
  MpiSiteRunner(const models::Scenario& s, const MpiSession& mpi) : rank_(mpi.rank()), size_(mpi.size()) {
    const auto partition = models::site_partition(s, static_cast<unsigned>(size_));
    owner_.assign(partition.begin(), partition.end());
  }

  RunStats run(Simulation& sim, SimTime until) override {
    // A test hook: this rank fails in the middle of the run (tests/python/test_run_mpi.py).
    if (const char* f = std::getenv("CAREFLOW_TEST_FAIL_RANK"); f && std::atoi(f) == rank_)
      throw std::runtime_error("CAREFLOW_TEST_FAIL_RANK: rank " + std::to_string(rank_) + " fails on purpose");
    MpiExecutor exec(sim, MPI_COMM_WORLD, owner_);
    return exec.run(until);
  }

  bool runs_here(std::size_t site) const override { return owner_[site] == rank_; }

  std::vector<std::vector<char>> gather(std::vector<std::vector<char>> mine) override {
    std::vector<char> packed;
    ByteWriter w(packed);
    for (std::size_t k = 0; k < mine.size(); ++k)
      if (runs_here(k)) {
        w.pod<std::uint64_t>(k);
        w.pods(mine[k]);
      }
    if (packed.size() > static_cast<std::size_t>(INT_MAX))
      throw std::runtime_error("a rank's figures exceed 2 GiB (keep fewer records: --no-records)");
    const int bytes = static_cast<int>(packed.size());
    std::vector<int> counts(static_cast<std::size_t>(size_)), displs(static_cast<std::size_t>(size_));
    check(MPI_Gather(&bytes, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Gather");
    std::vector<char> all;
    if (rank_ == 0) {
      long long total = 0;
      for (int r = 0; r < size_; ++r) {
        displs[static_cast<std::size_t>(r)] = static_cast<int>(total);
        total += counts[static_cast<std::size_t>(r)];
        if (total > INT_MAX) throw std::runtime_error("the ranks' figures exceed 2 GiB (keep fewer records: --no-records)");
      }
      all.resize(static_cast<std::size_t>(total));
    }
    check(MPI_Gatherv(packed.data(), bytes, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE, 0, MPI_COMM_WORLD),
          "MPI_Gatherv");
    if (rank_ != 0) return {};
    std::vector<std::vector<char>> out(mine.size());
    ByteReader r(all);
    while (!r.done()) {
      const auto k = r.pod<std::uint64_t>();
      if (k >= out.size()) throw std::runtime_error("MPI: figures of an unknown site");
      out[k] = r.pods<char>();
    }
    return out;
  }

 private:
  int rank_, size_;
  std::vector<int> owner_;
};

}  // namespace

models::RunResult run_over_ranks(const models::Scenario& s, const models::CareRunOptions& opt, const MpiSession& mpi) {
  models::RunResult result;
  result.metric_ids = models::metric_ids(s);
  result.replications.resize(s.replications);
  MpiSiteRunner runner(s, mpi);
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t r = 0; r < s.replications; ++r) {
    models::ReplicationOptions ro;
    ro.keep = models::keep_for(opt, r);
    ro.runner = &runner;
    result.replications[r] = models::run_replication(s, r, ro);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (mpi.rank() == 0) models::summarise(result);
  return result;
}

}  // namespace careflow::app
