// Run with mpirun: the MPI executor must reproduce the sequential executor exactly (events,
// end time, fingerprint, every LP hash) for several models and placements of LPs on ranks.
// Every rank also runs the sequential executor itself, so each rank checks on its own. The MPI
// executor runs on the default future-event set and, for one model, on DaryHeap<4>.
// Exit status 0 when every check passes on this rank; a message per failure otherwise.
#include <mpi.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "careflow/engine/dary_heap.hpp"
#include "careflow/engine/sequential_executor.hpp"
#include "careflow/engine_mpi/mpi_executor.hpp"
#include "engine/carrier_model.hpp"
#include "mmc_model.hpp"
#include "phold.hpp"

using namespace careflow;

namespace {

using Build = std::function<void(Simulation&)>;
int failures = 0;

// The MPI executor on the future-event set Fes against the sequential executor on the default one.
template <FutureEventSet Fes = DefaultFes>
void check_model(const std::string& name, const Build& build, std::size_t lps, double lookahead, double until, int rank,
                 int ranks) {
  Simulation seq_sim(11, 2, lookahead);
  build(seq_sim);
  SequentialExecutor<> seq(seq_sim);
  const RunStats a = seq.run(until);
  std::vector<int> rr(lps), last(lps, ranks - 1), odd(lps);
  for (std::size_t i = 0; i < lps; ++i) {
    rr[i] = static_cast<int>(i % static_cast<std::size_t>(ranks));
    odd[i] = static_cast<int>((i * 7 + 3) % static_cast<std::size_t>(ranks));
  }
  const std::vector<std::pair<std::string, std::vector<int>>> placements = {
      {"blocks", {}}, {"round robin", rr}, {"all on the last rank", last}, {"scattered", odd}};
  for (const auto& [pname, owner] : placements) {
    Simulation sim(11, 2, lookahead);
    build(sim);
    MpiExecutor<Fes> exec(sim, MPI_COMM_WORLD, owner);
    const RunStats b = exec.run(until);
    const bool ok = a.events == b.events && a.end_time == b.end_time && a.fingerprint == b.fingerprint &&
                    seq.lp_hashes() == exec.lp_hashes();
    if (!ok) {
      ++failures;
      std::fprintf(stderr, "rank %d: %s, %s: MPI run differs (events %llu vs %llu, fingerprint %016llx vs %016llx)\n", rank,
                   name.c_str(), pname.c_str(), static_cast<unsigned long long>(a.events),
                   static_cast<unsigned long long>(b.events), static_cast<unsigned long long>(a.fingerprint),
                   static_cast<unsigned long long>(b.fingerprint));
    } else if (rank == 0) {
      std::printf("%s, %s on %d ranks: %llu events in %llu windows, fingerprint %016llx: identical\n", name.c_str(),
                  pname.c_str(), ranks, static_cast<unsigned long long>(b.events),
                  static_cast<unsigned long long>(exec.windows()), static_cast<unsigned long long>(b.fingerprint));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  try {
    for (const bench::PholdParams p : {bench::PholdParams{64, 4, 0.1, 1.0}, bench::PholdParams{9, 2, 0.25, 0.0}})
      check_model("PHOLD " + std::to_string(p.lps) + " LPs", [p](Simulation& sim) { bench::build_phold(sim, p); }, p.lps,
                  p.lookahead, 60.0, rank, ranks);
    const bench::PholdParams p{64, 4, 0.1, 1.0};
    check_model<DaryHeap<4>>("PHOLD 64 LPs, DaryHeap<4>", [p](Simulation& sim) { bench::build_phold(sim, p); }, p.lps,
                             p.lookahead, 60.0, rank, ranks);
    check_model("attachments", [](Simulation& sim) { for (int i = 0; i < 12; ++i) sim.emplace<test::CarrierLp>(12); }, 12, 0.5,
                80.0, rank, ranks);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rank %d: %s\n", rank, e.what());
    ++failures;
  }
  int all = 0;
  MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  MPI_Finalize();
  return all == 0 ? 0 : 1;
}
