// Soak driver: one replication of the embedded default scenario over a long horizon, single
// threaded, without per-episode records, then one JSON line: the horizon, the process's peak
// resident memory, what the replication keeps by design (one wait per service start after
// the warm-up, for exact quantiles; six weekly series per service), and how many times people
// and money were found conserved. tests/python/test_soak.py runs it at two horizons and
// checks that memory beyond what is kept by design stays flat.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "careflow/models/care_model.hpp"
#include "careflow/models/default_scenario.hpp"
#include "careflow/models/scenario_loader.hpp"

int main(int argc, char** argv) {
  namespace models = careflow::models;
  const bool stationary = argc == 3 && std::string(argv[2]) == "--stationary";
  if (argc != 2 && !stationary) {
    std::fprintf(stderr, "usage: soak_run YEARS [--stationary]\n");
    return 2;
  }
  try {
    models::CareRunOptions opt;
    opt.horizon_years = std::stod(argv[1]);
    models::Scenario s = models::apply_options(
        models::parse_scenario(models::default_scenario_yaml(), models::kDefaultScenarioName, "scenarios"), opt);
    // --stationary: no cohort grows, so demand is the same every year and the number of people
    // in the system levels off after the warm-up (the default's ageing population does not).
    if (stationary)
      for (models::CohortSpec& c : s.cohorts) c.trend_per_year = 0;
    const auto t0 = std::chrono::steady_clock::now();
    // Figures only, as a region- or national-size run keeps (careflow run --no-records).
    models::ReplicationOptions ro;
    ro.keep = models::Recorder::kSeriesOnly;
    const models::ReplicationResult r = models::run_replication(s, 0, ro);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    // Service starts after the warm-up (reported; waits are summarised in fixed memory).
    const std::vector<models::MetricId> ids = models::metric_ids(s);
    double starts = 0, entered = 0, exited = 0;
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (ids[i].family == "activity" && ids[i].name == "starts_per_year" && !ids[i].subject.empty() &&
          ids[i].subject.find(':') == std::string::npos)
        starts += r.metric_values[i] * (s.horizon_years - s.warmup_years);
      else if (ids[i].family == "invariants" && ids[i].name == "people_entered")
        entered = r.metric_values[i];
      else if (ids[i].family == "invariants" && ids[i].name == "people_exited")
        exited = r.metric_values[i];
    const double weeks = static_cast<double>(r.series.time_days.size());
    // What the replication returns that grows with the horizon: the weekly series (the record
    // vectors are empty here), at their allocated bytes.
    double records = 0;
    auto vector_bytes = [](const auto& v) { return static_cast<double>(v.capacity() * sizeof(v[0])); };
    records += vector_bytes(r.step_changes) + vector_bytes(r.delays) + vector_bytes(r.tracks) + vector_bytes(r.episodes);
    for (const models::DelayRecord& d : r.delays)
      if (d.reason.capacity() > 15) records += static_cast<double>(d.reason.capacity() + 1);  // beyond the small-string buffer
    const models::Series& se = r.series;
    for (const auto* v : {&se.time_days, &se.queue, &se.occupancy, &se.spend, &se.step_ups, &se.step_downs})
      records += vector_bytes(*v);

    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf(
        "{\"years\": %g, \"peak_rss_kib\": %ld, \"events\": %llu, \"starts_after_warmup\": %.0f, \"weeks\": %.0f, "
        "\"services\": %zu, \"record_bytes\": %.0f, \"step_changes\": %zu, \"delays\": %zu, \"people_in_system\": %.0f, \"invariant_checks\": %llu, "
        "\"seconds\": %.2f}\n",
        s.horizon_years, usage.ru_maxrss, static_cast<unsigned long long>(r.events), starts, weeks, s.services.size(),
        records, r.step_changes.size(), r.delays.size(), entered - exited, static_cast<unsigned long long>(r.invariant_checks), seconds);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "soak_run: %s\n", e.what());
    return 1;
  }
}
