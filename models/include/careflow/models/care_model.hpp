// The care-flow model: people from cohorts move through services (queues, capacity,
// routing on need, age and cohort), their need escalates while they wait and falls while
// they are served; step changes into and out of specialist provision, assessments,
// hand-offs within and across agencies, hospital discharge with delayed transfers of care,
// re-ablement follow-up, reviews, budgets and pools. Everything is read from a Scenario.
#pragma once

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "careflow/engine/simulation.hpp"
#include "careflow/models/recorder.hpp"
#include "careflow/models/results.hpp"
#include "careflow/models/scenario.hpp"

namespace careflow::models {

/// What a run stopped through its RunControl throws: the run returns nothing (no partial result).
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("the run was cancelled") {}
};

/// Lets another thread stop a run and follow it (the Python module: Ctrl-C and progress). Every
/// replication reads `stop` (relaxed) before it starts and at each site's weekly bookkeeping
/// event, so a run stops within a simulated week of every replication in flight and throws
/// Cancelled. `replications_done` counts the replications finished by every run given it.
struct RunControl {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> replications_done{0};
};

struct CareRunOptions {
  std::uint64_t replications = 0;  // 0: the scenario's
  std::uint64_t seed = 0;          // 0: the scenario's
  double horizon_years = 0;        // 0: the scenario's
  bool episodes_all_replications = false;  // otherwise per-episode records of replication 0 only
  Recorder::Keep keep;  // what replications record besides their figures (Recorder::kSeriesOnly: --no-records)
  unsigned threads = 0;  // replications run in parallel on this many threads (0: all cores); results do not depend on it
  unsigned site_threads = 1;  // a scenario with several sites: each replication on this many threads (parallel executor)
  double scale = 1;  // populations, places, budgets and costs multiplied by this (models/scale.hpp)
  RunControl* control = nullptr;  // not null: the run can be stopped (throws Cancelled) and followed
};

/// The scenario with the options applied (replications, seed, horizon).
Scenario apply_options(Scenario s, const CareRunOptions& opt);

/// The metric ids a run of `s` reports, in order (the same for every replication).
std::vector<MetricId> metric_ids(const Scenario& s);

/// The engine's future-event set for a replication. Results are identical with either (tested);
/// the choice exists so that benchmarks can compare them on the real model.
enum class EventQueue { Ladder, Heap };

/// Runs a replication's sites in several processes (e.g. MPI ranks; app/): every process
/// builds every site, `run` runs the simulation there (each site on one process), and `gather`
/// brings every site's figures (bytes; this process's sites filled, the others empty) to the
/// process that reports, which gets all of them back; the others get an empty list.
class SiteRunner {
 public:
  virtual ~SiteRunner() = default;
  virtual RunStats run(Simulation& sim, SimTime until) = 0;
  virtual bool runs_here(std::size_t site) const = 0;
  virtual std::vector<std::vector<char>> gather(std::vector<std::vector<char>> mine) = 0;
};

/// How one replication runs, and what it records besides its figures.
struct ReplicationOptions {
  // What the replication's MemoryRecorder keeps: episodes (a record per person-episode), step
  // changes, delayed transfers, tracked persons' moves (each grows with the run), weekly series.
  Recorder::Keep keep;
  // Not empty: one recorder per site (owned by the caller), to which that site's records go
  // instead of the replication's MemoryRecorder (`keep` is then unused); the result then has
  // figures, events and fingerprint only. A site's recorder is called from the thread running it.
  std::vector<Recorder*> recorders;
  EventQueue queue = EventQueue::Ladder;
  // A scenario with several sites runs one LP per site; with threads > 1 on the parallel
  // executor, sites spread over threads by `partition` (site -> thread; empty: balanced by
  // expected work). Results are identical for any threads and partition (tested).
  unsigned threads = 1;
  std::vector<std::uint32_t> partition;
  // Not null: the sites run through this (one process per rank), threads and partition unused.
  // Outside the reporting process the result has events and fingerprint only.
  SiteRunner* runner = nullptr;
  // Not null: once it is set, the replication throws Cancelled at its next weekly event (not
  // with a runner: the other processes would wait for this one).
  const std::atomic<bool>* stop = nullptr;
};

/// Sites spread over `threads` partitions, the busiest first, each to the least loaded.
std::vector<std::uint32_t> site_partition(const Scenario& s, unsigned threads);

/// What replication r of a run with these options records (episodes of the first replication
/// only unless every replication's were asked for).
Recorder::Keep keep_for(const CareRunOptions& opt, std::uint64_t replication);

/// One replication, sequentially. Throws std::runtime_error if an invariant (people or
/// money conserved, queues consistent) is broken. The figures do not depend on the options.
ReplicationResult run_replication(const Scenario& s, std::uint64_t replication, const ReplicationOptions& opt = {});

/// Every replication of the scenario (in parallel, each one sequential), then the summary.
/// Replication r depends only on (scenario, seed, r): the result is the same for any thread count.
/// Throws Cancelled once a replication sees opt.control's stop set (a run whose replications
/// had all passed their last weekly event returns as usual).
RunResult run_scenario(const Scenario& s, const CareRunOptions& opt = {});

}  // namespace careflow::models
