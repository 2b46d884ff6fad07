// Memory per live person in the care model: the default scenario scaled to several population
// sizes, each run in its own process (fork) so that its peak resident set is its own.
// Bytes per person = slope of peak RSS against the most person records held at once (least
// squares), which leaves out the fixed costs (program, scenario, tables).
//
//   bench_memory [YEARS=8] [FACTORS=1,2,4,8] [QUEUE=ladder|heap]
// Output: one line per factor, then "RESULT memory_per_person <bytes> ..." .
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "careflow/models/care_model.hpp"
#include "careflow/models/default_scenario.hpp"
#include "careflow/models/scale.hpp"
#include "careflow/models/scenario_loader.hpp"

using namespace careflow::models;

namespace {

struct Point {
  double factor = 0, people = 0, pending = 0, rss = 0, events = 0;
};

Point measure(const Scenario& base, double factor, EventQueue queue) {
  int fd[2];
  if (pipe(fd) != 0) std::exit(3);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    const Scenario s = scaled(base, factor);
    ReplicationOptions ro;
    ro.keep = Recorder::kSeriesOnly;  // figures only, as --no-records
    ro.queue = queue;
    const ReplicationResult r = run_replication(s, 0, ro);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const std::string line = std::to_string(r.peak_person_records) + " " + std::to_string(r.peak_pending_events) + " " +
                             std::to_string(static_cast<double>(ru.ru_maxrss) * 1024.0) + " " + std::to_string(r.events) + "\n";
    if (write(fd[1], line.data(), line.size()) < 0) _exit(3);
    _exit(0);
  }
  close(fd[1]);
  char buf[256] = {};
  const ssize_t n = read(fd[0], buf, sizeof buf - 1);
  close(fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (n <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "bench_memory: the run at factor %g failed\n", factor);
    std::exit(1);
  }
  Point p;
  p.factor = factor;
  std::istringstream(buf) >> p.people >> p.pending >> p.rss >> p.events;
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  Scenario base = parse_scenario(default_scenario_yaml(), kDefaultScenarioName, "scenarios");
  base.horizon_years = argc > 1 ? std::atof(argv[1]) : 8;
  std::vector<double> factors;
  {
    std::stringstream ss(argc > 2 ? argv[2] : "1,2,4,8");
    for (std::string f; std::getline(ss, f, ',');) factors.push_back(std::atof(f.c_str()));
  }
  const EventQueue queue = argc > 3 && std::string(argv[3]) == "heap" ? EventQueue::Heap : EventQueue::Ladder;
  validate_scenario(base);
  std::printf("default scenario scaled, one replication of %.0f years, records of episodes off, %s\n", base.horizon_years,
              queue == EventQueue::Heap ? "DaryHeap<4>" : "LadderQueue");
  std::printf("%8s %14s %14s %14s %12s\n", "factor", "person records", "peak pending", "peak RSS MiB", "events");
  std::vector<Point> pts;
  for (double f : factors) {
    pts.push_back(measure(base, f, queue));
    const Point& p = pts.back();
    std::printf("%8g %14.0f %14.0f %14.1f %12.0f\n", p.factor, p.people, p.pending, p.rss / 1048576.0, p.events);
    std::fflush(stdout);
  }
  // Least-squares slope of RSS on person records.
  double mx = 0, my = 0;
  for (const Point& p : pts) mx += p.people, my += p.rss;
  mx /= static_cast<double>(pts.size());
  my /= static_cast<double>(pts.size());
  double sxy = 0, sxx = 0;
  for (const Point& p : pts) sxy += (p.people - mx) * (p.rss - my), sxx += (p.people - mx) * (p.people - mx);
  const double slope = sxx > 0 ? sxy / sxx : 0;
  const double per_event = pts.back().pending / pts.back().people;
  std::printf("bytes per live person (slope of peak RSS on person records, everything that grows with the population): %.0f\n",
              slope);
  std::printf("pending events per person record at the largest size: %.2f\n", per_event);
  std::printf("RESULT memory_per_person %.1f 0 0 0 0\n", slope);
  return 0;
}
