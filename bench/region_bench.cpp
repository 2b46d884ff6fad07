// One replication of a region scenario on the sequential executor and on the parallel
// executor (one LP per site, sites balanced over the threads), interleaved, best of REPEATS.
// Each run is a child process, so its peak memory is its own. Every parallel run is checked
// against the sequential fingerprint.
//
//   bench_region SCENARIO [YEARS=15] [REPEATS=3] [THREADS=2] [SCALE=1]
//
// Prints events, wall and CPU seconds, events/s, the speed-up, transfers between sites, peak
// person records and peak RSS per person record. Figures only (no records): as a sweep keeps.
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "careflow/models/care_model.hpp"
#include "careflow/models/scenario_loader.hpp"

using namespace careflow;
using namespace careflow::models;
using Clock = std::chrono::steady_clock;

namespace {

struct Measured {
  std::uint64_t events = 0, fingerprint = 0, transfers = 0, records = 0;
  double seconds = 0, cpu_seconds = 0;
  long peak_rss_kib = 0;
  std::uint64_t site_events[64] = {};
};

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// In a child process: its peak RSS is this run's alone.
Measured measure(const Scenario& s, unsigned threads) {
  int fd[2];
  if (pipe(fd) != 0) std::exit(1);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    ReplicationOptions o;
    o.keep = Recorder::kSeriesOnly;
    o.threads = threads;
    const auto t0 = Clock::now();
    const double c0 = cpu_now();
    const ReplicationResult r = run_replication(s, 0, o);
    Measured m;
    m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    m.cpu_seconds = cpu_now() - c0;
    m.events = r.events;
    m.fingerprint = r.fingerprint;
    m.transfers = r.transfers;
    m.records = r.peak_person_records;
    for (std::size_t k = 0; k < r.site_events.size() && k < 64; ++k) m.site_events[k] = r.site_events[k];
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    m.peak_rss_kib = ru.ru_maxrss;
    if (write(fd[1], &m, sizeof m) != static_cast<ssize_t>(sizeof m)) _exit(1);
    _exit(0);
  }
  close(fd[1]);
  Measured m;
  const bool ok = read(fd[0], &m, sizeof m) == static_cast<ssize_t>(sizeof m);
  close(fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "bench_region: a run failed\n");
    std::exit(1);
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_region SCENARIO [YEARS=15] [REPEATS=3] [THREADS=2] [SCALE=1]\n");
    return 2;
  }
  CareRunOptions opt;
  opt.horizon_years = argc > 2 ? std::atof(argv[2]) : 15;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 3;
  const unsigned threads = argc > 4 ? static_cast<unsigned>(std::atoi(argv[4])) : 2;
  opt.scale = argc > 5 ? std::atof(argv[5]) : 1.0;
  Scenario s = load_scenario(argv[1]);
  if (opt.horizon_years <= s.warmup_years) s.warmup_years = opt.horizon_years / 3;
  s = apply_options(s, opt);
  const auto partition = site_partition(s, threads);
  std::printf("bench_region: %s, %zu sites, %.3g years, scale %.3g, %u threads, best of %d\n", argv[1], s.site_count(),
              s.horizon_years, opt.scale, threads, repeats);
  std::printf("partition (site -> thread):");
  for (std::size_t k = 0; k < partition.size(); ++k) std::printf(" %s:%u", s.sites.empty() ? "all" : s.sites[k].c_str(), partition[k]);
  std::printf("\n");
  Measured best_seq, best_par;
  for (int r = 0; r < repeats; ++r) {
    const Measured a = measure(s, 1), b = measure(s, threads);
    if (a.fingerprint != b.fingerprint || a.events != b.events) {
      std::fprintf(stderr, "bench_region: the parallel run differs from the sequential one\n");
      return 1;
    }
    std::printf("  repeat %d: sequential %.2f s (CPU %.2f), %u threads %.2f s (CPU %.2f)\n", r + 1, a.seconds, a.cpu_seconds,
                threads, b.seconds, b.cpu_seconds);
    if (r == 0 || a.seconds < best_seq.seconds) best_seq = a;
    if (r == 0 || b.seconds < best_par.seconds) best_par = b;
  }
  auto line = [&](const char* name, const Measured& m) {
    std::printf("%-12s %12llu events  %7.2f s  CPU %7.2f s  %6.2f M events/s  peak RSS %7.1f MiB  %6.0f B per person record\n",
                name, static_cast<unsigned long long>(m.events), m.seconds, m.cpu_seconds, static_cast<double>(m.events) / m.seconds / 1e6,
                static_cast<double>(m.peak_rss_kib) / 1024.0,
                static_cast<double>(m.peak_rss_kib) * 1024.0 / static_cast<double>(m.records));
  };
  line("sequential", best_seq);
  line(("parallel x" + std::to_string(threads)).c_str(), best_par);
  std::printf("transfers between sites: %llu; peak person records: %llu; fingerprint %016llx (identical)\n",
              static_cast<unsigned long long>(best_seq.transfers), static_cast<unsigned long long>(best_seq.records),
              static_cast<unsigned long long>(best_seq.fingerprint));
  // The most a perfect barrier could give: all events over the busiest thread's events.
  std::vector<double> per_thread(threads, 0.0);
  std::printf("events by site:");
  for (std::size_t k = 0; k < partition.size() && k < 64; ++k) {
    per_thread[partition[k]] += static_cast<double>(best_seq.site_events[k]);
    std::printf(" %s %.1f%%", s.sites.empty() ? "all" : s.sites[k].c_str(),
                100.0 * static_cast<double>(best_seq.site_events[k]) / static_cast<double>(best_seq.events));
  }
  double busiest = 0;
  for (double x : per_thread) busiest = std::max(busiest, x);
  std::printf("\nbalance: the busiest thread has %.1f%% of the events (bound on the speed-up %.2fx)\n",
              100.0 * busiest / static_cast<double>(best_seq.events), static_cast<double>(best_seq.events) / busiest);
  std::printf("speed-up (best wall time): %.2fx\n", best_seq.seconds / best_par.seconds);
  return 0;
}
