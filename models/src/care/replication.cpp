// Replications of the care model: one LP per site on the executor the options choose, the
// sites' figures and records merged in site order, then the metric table; replications of a run
// in parallel.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

#include "careflow/engine/parallel_executor.hpp"
#include "careflow/engine/sequential_executor.hpp"
#include "careflow/models/care_model.hpp"
#include "careflow/models/scale.hpp"
#include "care/metrics.hpp"
#include "care/site_lp.hpp"
#include "parallel.hpp"

namespace careflow::models {

Scenario apply_options(Scenario s, const CareRunOptions& opt) {
  if (opt.scale != s.scale_applied) {  // options are applied more than once on the way to a run: scale once
    const double by = opt.scale / s.scale_applied;
    s = scaled(std::move(s), by);
    s.scale_applied = opt.scale;
  }
  if (opt.replications > 0) s.replications = opt.replications;
  if (opt.seed > 0) s.seed = opt.seed;
  if (opt.horizon_years > 0) {
    if (opt.horizon_years <= s.warmup_years)
      throw std::invalid_argument("--years " + std::to_string(opt.horizon_years) + " must be longer than the warm-up (" +
                                  std::to_string(s.warmup_years) + " years)");
    s.horizon_years = opt.horizon_years;
  }
  return s;
}

std::vector<MetricId> metric_ids(const Scenario& s) {
  std::vector<MetricId> ids;
  care::collect(s, care::SiteFigures(s), &ids, nullptr);
  return ids;
}

std::vector<std::uint32_t> site_partition(const Scenario& s, unsigned threads) {
  const std::size_t sites = s.site_count();
  const unsigned parts = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(sites)));
  // Expected work of a site: arrivals per day at the services it runs (traffic equations).
  std::vector<double> work(sites, 0.0);
  const auto loads = traffic_equations(s);
  for (std::size_t sv = 0; sv < s.services.size(); ++sv)
    if (std::isfinite(loads[sv].arrivals_per_day)) work[static_cast<std::size_t>(s.services[sv].site)] += loads[sv].arrivals_per_day;
  std::vector<std::size_t> order(sites);
  for (std::size_t k = 0; k < sites; ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return work[a] > work[b]; });
  std::vector<double> load(parts, 0.0);
  std::vector<std::uint32_t> partition(sites, 0);
  for (std::size_t k : order) {  // the busiest site first, each to the least loaded thread
    const auto p = static_cast<std::uint32_t>(std::min_element(load.begin(), load.end()) - load.begin());
    partition[k] = p;
    load[p] += work[k] + 1e-9;
  }
  return partition;
}

Recorder::Keep keep_for(const CareRunOptions& opt, std::uint64_t replication) {
  Recorder::Keep k = opt.keep;
  k.episodes = k.episodes && (replication == 0 || opt.episodes_all_replications);
  return k;
}

namespace {

template <class Fes>
RunStats execute(Simulation& sim, SimTime end, const Scenario& s, const ReplicationOptions& opt) {
  if (opt.threads <= 1 || sim.lp_count() <= 1) return SequentialExecutor<Fes>(sim).run(end);
  ParallelExecutor<Fes> exec(sim, opt.threads, opt.partition.empty() ? site_partition(s, opt.threads) : opt.partition);
  return exec.run(end);
}

// Records of all sites in time order (ties: site order).
void sort_records(ReplicationResult& out) {
  std::stable_sort(out.episodes.begin(), out.episodes.end(), [](const EpisodeRecord& a, const EpisodeRecord& b) { return a.referred < b.referred; });
  std::stable_sort(out.step_changes.begin(), out.step_changes.end(), [](const StepChangeRecord& a, const StepChangeRecord& b) { return a.time < b.time; });
  std::stable_sort(out.delays.begin(), out.delays.end(), [](const DelayRecord& a, const DelayRecord& b) { return a.start < b.start; });
  std::stable_sort(out.tracks.begin(), out.tracks.end(), [](const TrackPoint& a, const TrackPoint& b) { return a.time < b.time; });
}

// Another site's records and weekly series joined to the first site's (a site's series is zero
// for the services it does not run).
void join_records(ReplicationResult& out, const ReplicationResult& part) {
  out.episodes.insert(out.episodes.end(), part.episodes.begin(), part.episodes.end());
  out.step_changes.insert(out.step_changes.end(), part.step_changes.begin(), part.step_changes.end());
  out.delays.insert(out.delays.end(), part.delays.begin(), part.delays.end());
  out.tracks.insert(out.tracks.end(), part.tracks.begin(), part.tracks.end());
  for (const SeriesColumn& c : kSeriesColumns) care::SiteFigures::add_into(out.series.*c.values, part.series.*c.values);
}

}  // namespace

ReplicationResult run_replication(const Scenario& s, std::uint64_t replication, const ReplicationOptions& opt) {
  ReplicationResult out;
  out.replication = replication;
  const std::size_t sites = s.site_count();
  double lookahead = kInfinity;
  for (double x : {s.handoff_within.mean(), s.handoff_across.mean()})
    if (x > 0) lookahead = std::min(lookahead, x);
  // Sites exchange people only by transfers of at least transfer_days: the lookahead.
  if (sites > 1) lookahead = s.transfer_days;
  Simulation sim(s.seed, replication, std::isfinite(lookahead) ? lookahead : 1.0);
  // One recorder per site: sites may run on different threads.
  std::vector<ReplicationResult> parts(sites - 1);
  if (!opt.recorders.empty() && opt.recorders.size() != sites)
    throw std::invalid_argument("care model: " + std::to_string(opt.recorders.size()) + " recorders for " + std::to_string(sites) + " sites");
  std::vector<std::unique_ptr<MemoryRecorder>> memory;
  std::vector<care::SiteLp*> lps;
  for (std::size_t k = 0; k < sites; ++k) {
    Recorder* recorder = opt.recorders.empty() ? nullptr : opt.recorders[k];
    if (!recorder) recorder = memory.emplace_back(std::make_unique<MemoryRecorder>(k == 0 ? out : parts[k - 1], opt.keep)).get();
    lps.push_back(&sim.emplace<care::SiteLp>(s, *recorder, static_cast<int>(k)));
    if (!opt.runner) lps.back()->stop_when(opt.stop);
  }
  const SimTime end = s.horizon_years * kDaysPerYear;
  const RunStats stats = opt.runner                      ? opt.runner->run(sim, end)
                         : opt.queue == EventQueue::Heap ? execute<DaryHeap<4>>(sim, end, s, opt)
                                                         : execute<LadderQueue>(sim, end, s, opt);
  out.events = stats.events;
  out.peak_pending_events = stats.peak_pending;
  out.fingerprint = stats.fingerprint;
  auto here = [&](std::size_t k) { return !opt.runner || opt.runner->runs_here(k); };
  for (std::size_t k = 0; k < sites; ++k)
    if (here(k)) lps[k]->check_invariants();  // each site: arrived + transferred in = left + transferred out + there
  if (opt.runner) {  // sites run by other processes: their figures and records, exactly as they left them
    std::vector<std::vector<char>> mine(sites);
    for (std::size_t k = 0; k < sites; ++k)
      if (here(k)) {
        ByteWriter w(mine[k]);
        lps[k]->figures().save(w);
        care::save_records(w, k == 0 ? out : parts[k - 1]);
      }
    const std::vector<std::vector<char>> all = opt.runner->gather(std::move(mine));
    if (all.empty()) return out;  // not the process that reports: events and fingerprint only
    if (all.size() != sites) throw std::runtime_error("care model: figures of " + std::to_string(all.size()) + " sites gathered, expected " + std::to_string(sites));
    for (std::size_t k = 0; k < sites; ++k)
      if (!here(k)) {
        ByteReader r(all[k]);
        lps[k]->load_figures(r);
        care::load_records(r, k == 0 ? out : parts[k - 1]);
        if (!r.done()) throw std::runtime_error("care model: a site's figures have trailing bytes");
      }
  }
  std::uint64_t records = 0, sent = 0, received = 0;
  for (care::SiteLp* lp : lps) {
    const care::SiteFigures& f = lp->figures();
    out.site_events.push_back(f.events);
    records += f.person_records;
    sent += f.totals.transfers_out;
    received += f.totals.transfers_in;
  }
  if (received > sent)
    throw std::runtime_error("invariant broken: " + std::to_string(received) + " transfers received, " + std::to_string(sent) + " sent");
  out.peak_person_records = records;
  out.transfers = sent;
  care::SiteFigures merged = lps[0]->figures();
  for (std::size_t k = 1; k < sites; ++k) {
    merged.absorb(lps[k]->figures(), [&](std::size_t sv) { return lps[k]->hosted(static_cast<int>(sv)); });
    join_records(out, parts[k - 1]);
  }
  if (sites > 1) sort_records(out);
  out.invariant_checks = merged.invariant_checks;
  care::collect(s, merged, nullptr, &out.metric_values);
  return out;
}

RunResult run_scenario(const Scenario& s, const CareRunOptions& opt) {
  const Scenario sc = apply_options(s, opt);
  validate_scenario(sc);
  RunResult result;
  result.metric_ids = metric_ids(sc);
  const auto t0 = std::chrono::steady_clock::now();
  result.replications.resize(sc.replications);
  // Each replication of a scenario with several sites may use site_threads threads of its own.
  unsigned threads = opt.threads > 0 ? opt.threads : available_threads();
  if (opt.site_threads > 1 && sc.site_count() > 1) threads = std::max(1u, threads / opt.site_threads);
  const std::atomic<bool>* stop = opt.control ? &opt.control->stop : nullptr;
  for_each_task(threads, sc.replications, [&](std::size_t r) {
    if (stop && stop->load(std::memory_order_relaxed)) throw Cancelled();  // the replications not yet begun
    ReplicationOptions ro;
    ro.keep = keep_for(opt, r);
    ro.threads = opt.site_threads;
    ro.stop = stop;
    result.replications[r] = run_replication(sc, r, ro);
    if (opt.control) opt.control->replications_done.fetch_add(1, std::memory_order_relaxed);
  });
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  summarise(result);
  return result;
}

}  // namespace careflow::models
