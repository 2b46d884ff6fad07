// Builds the animation and report pages: the data of the run files as one JSON blob, put into
// the HTML templates of viz/web/ (embedded at build time) together with their script and styles.
#include "careflow/viz/pages.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "careflow/engine/statistics.hpp"
#include "careflow/models/compare.hpp"
#include "careflow/models/metrics.hpp"
#include "careflow/support/json.hpp"
#include "careflow_web_assets.hpp"

namespace careflow::viz {
namespace {

using models::kDaysPerYear;

template <std::size_t N>
std::string joined(const std::string_view (&pieces)[N]) {
  std::string s;
  for (std::string_view p : pieces) s += p;
  return s;
}

// ---------------------------------------------------------------- JSON

namespace json = support::json;
using json::Writer;

// A [week × columns] row-major block as nested arrays.
void rows(Writer& w, const std::vector<double>& v, std::size_t columns) {
  w.begin_array();
  for (std::size_t r = 0; columns && r * columns < v.size(); ++r) {
    w.begin_array();
    for (std::size_t c = 0; c < columns; ++c) w.value(v[r * columns + c]);
    w.end_array();
  }
  w.end_array();
}

std::string fill(std::string page, const std::string& key, const std::string& value) {
  const std::string marker = "/*" + key + "*/";
  const auto at = page.find(marker);
  if (at == std::string::npos) throw std::logic_error("template lacks " + marker);
  return page.replace(at, marker.size(), value);
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else o += c;
  }
  return o;
}

void services_json(Writer& w, const io::StoredRun& run) {
  w.begin_array();
  for (const io::StoredService& s : run.services) {
    w.begin_object().key("name").value(s.name).key("tier").value(s.tier).key("kind").value(s.kind).key("agency").value(s.agency);
    w.key("agency_name").value(run.agencies.at(static_cast<std::size_t>(s.agency))).key("capacity").value(s.capacity).end_object();
  }
  w.end_array();
}

std::string source_name(const io::StoredRun& run) { return std::filesystem::path(run.path).filename().string(); }

// ---------------------------------------------------------------- animation data

void animation_json(Writer& w, const io::StoredRun& run) {
  if (run.result.replications.empty()) throw std::runtime_error(run.path + ": the file holds no replications");
  const models::ReplicationResult& rep = run.result.replications.front();
  const models::Series& s = rep.series;
  const std::size_t ns = run.services.size(), na = run.agencies.size(), weeks = s.time_days.size();
  if (weeks == 0) throw std::runtime_error(run.path + ": replication 0 has no weekly series to animate");
  // Weekly spend by agency (the series is by service).
  std::vector<double> spend(weeks * na, 0.0);
  for (std::size_t wk = 0; wk < weeks; ++wk)
    for (std::size_t k = 0; k < ns; ++k) spend[wk * na + static_cast<std::size_t>(run.services[k].agency)] += s.spend[wk * ns + k];
  w.begin_object().key("name").value(run.scenario_name).key("file").value(source_name(run)).key("seed").value(run.seed);
  w.key("replication").value(rep.replication).key("warmup").value(run.warmup_days).key("horizon").value(run.horizon_days);
  w.key("services");
  services_json(w, run);
  w.key("agencies").array(run.agencies).key("weeks").array(s.time_days);
  w.key("queue");
  rows(w, s.queue, ns);
  w.key("spend");
  rows(w, spend, na);
  w.key("ups");
  rows(w, s.step_ups, ns);
  w.key("downs");
  rows(w, s.step_downs, ns);
  // Tracked people: one entry per person, [id, times, services, states] of their moves in time order.
  std::map<std::uint64_t, std::vector<const models::TrackPoint*>> people;
  for (const models::TrackPoint& p : rep.tracks) people[p.person].push_back(&p);
  std::map<std::uint64_t, std::size_t> index;
  w.key("tracks").begin_array();
  for (auto& [id, moves] : people) {
    std::stable_sort(moves.begin(), moves.end(), [](auto* a, auto* b) { return a->time < b->time; });
    index[id] = index.size();
    w.begin_array().value(id).begin_array();
    for (const models::TrackPoint* m : moves) w.value(m->time);
    w.end_array().begin_array();
    for (const models::TrackPoint* m : moves) w.value(m->service);
    w.end_array().begin_array();
    for (const models::TrackPoint* m : moves) w.value(m->state);
    w.end_array().end_array();
  }
  w.end_array();
  // Step changes of the tracked people, to light up their dots.
  w.key("steps").begin_array();
  for (const models::StepChangeRecord& e : rep.step_changes) {
    const auto it = index.find(e.person);
    if (it == index.end()) continue;
    w.begin_array().value(e.time).value(it->second).value(e.from_service).value(e.to_service).value(e.direction).end_array();
  }
  w.end_array().end_object();
}

// ---------------------------------------------------------------- report data

const models::Metric* find(const io::StoredRun& run, const std::string& family, const std::string& name, const std::string& subject) {
  for (const models::Metric& m : run.result.summary)
    if (m.id.family == family && m.id.name == name && m.id.subject == subject) return &m;
  return nullptr;
}

void ci_json(Writer& w, const ConfidenceInterval& ci) {
  w.begin_object().key("mean").value(ci.mean).key("hw").value(ci.half_width).key("n").value(ci.n).end_object();
}

// Per year of the reported period, for each replication: the sum of `field` over `columns`
// grouped by `group` (column → group index), then the mean and interval across replications.
// Writes {years:[..], groups:[{mean:[..],hw:[..], cum_mean:[..], cum_hw:[..]}...]}.
void yearly(Writer& w, const io::StoredRun& run, std::vector<double> models::Series::*field, const std::vector<int>& group,
            std::size_t groups) {
  const auto& reps = run.result.replications;
  const std::size_t years = static_cast<std::size_t>(std::max(0.0, std::floor((run.horizon_days - run.warmup_days) / kDaysPerYear + 1e-9)));
  // values[g][y][r]
  std::vector<std::vector<std::vector<double>>> v(groups, std::vector<std::vector<double>>(years, std::vector<double>(reps.size(), 0.0)));
  for (std::size_t r = 0; r < reps.size(); ++r) {
    const models::Series& s = reps[r].series;
    const std::vector<double>& data = s.*field;
    for (std::size_t wk = 0; wk < s.time_days.size(); ++wk) {
      // The week ending at time_days[wk] counts in the year its middle falls in.
      const double mid = s.time_days[wk] - 3.5 - run.warmup_days;
      if (mid < 0) continue;
      const auto y = static_cast<std::size_t>(mid / kDaysPerYear);
      if (y >= years) continue;
      for (std::size_t k = 0; k < s.services; ++k) v[static_cast<std::size_t>(group[k])][y][r] += data[wk * s.services + k];
    }
  }
  std::vector<double> year_numbers;
  for (std::size_t y = 0; y < years; ++y) year_numbers.push_back(static_cast<double>(y + 1));
  w.begin_object().key("years").array(year_numbers).key("groups").begin_array();
  for (std::size_t g = 0; g < groups; ++g) {
    std::vector<double> mean, hw, cmean, chw, cum(reps.size(), 0.0);
    for (std::size_t y = 0; y < years; ++y) {
      const ConfidenceInterval ci = confidence_interval(v[g][y]);
      mean.push_back(ci.mean);
      hw.push_back(ci.half_width);
      for (std::size_t r = 0; r < reps.size(); ++r) cum[r] += v[g][y][r];
      const ConfidenceInterval cc = confidence_interval(cum);
      cmean.push_back(cc.mean);
      chw.push_back(cc.half_width);
    }
    w.begin_object().key("mean").array(mean).key("hw").array(hw).key("cum_mean").array(cmean).key("cum_hw").array(chw).end_object();
  }
  w.end_array().end_object();
}

void waits_json(Writer& w, const io::StoredRun& run) {
  // Distribution of waits in replication 0 (episodes that started service in the reported period).
  std::vector<std::vector<double>> waits(run.services.size());
  if (!run.result.replications.empty())
    for (const models::EpisodeRecord& e : run.result.replications.front().episodes)
      if (e.service >= 0 && static_cast<std::size_t>(e.service) < waits.size() && std::isfinite(e.wait()) && e.referred >= run.warmup_days)
        waits[static_cast<std::size_t>(e.service)].push_back(e.wait());
  const models::QueueStability st = models::check_queue_stability(run.result.summary);
  w.begin_array();
  for (std::size_t k = 0; k < run.services.size(); ++k) {
    const std::string& name = run.services[k].name;
    const bool unstable = std::any_of(st.unstable.begin(), st.unstable.end(), [&](const auto& u) { return u.service == name; });
    std::vector<double> q;
    for (double p : {0.05, 0.25, 0.5, 0.75, 0.9, 0.95}) q.push_back(waits[k].empty() ? std::nan("") : quantile(waits[k], p));
    auto metric = [&](const char* key, const char* n) {
      w.key(key);
      if (const models::Metric* m = find(run, "waits", n, name)) ci_json(w, m->ci);
      else w.null();
    };
    w.begin_object().key("service").value(name).key("tier").value(run.services[k].tier).key("episodes").value(waits[k].size());
    w.key("unstable").value(unstable).key("stability_checked").value(st.tested);
    w.key("q").array(q);
    metric("mean", "mean_wait_days");
    metric("median", "median_wait_days");
    metric("p90", "p90_wait_days");
    metric("p95", "p95_wait_days");
    w.end_object();
  }
  w.end_array();
}

void indicators_json(Writer& w, const io::StoredRun& run) {
  w.begin_array();
  for (const models::Metric& m : run.result.summary) {
    if (m.id.family != "indicators" || !m.id.subject.empty()) continue;  // the by-reason rows are not against a target
    w.begin_object().key("name").value(m.id.name).key("unit").value(m.id.unit).key("ci");
    ci_json(w, m.ci);
    w.end_object();
  }
  w.end_array();
}

// The differences chart: of the headline figures (models::headline), the indicators and step
// changes (but the delayed-bed cost, which duplicates the spending rows), the mean waits, and
// spending of the system and each agency: one bar each, on comparable scales.
bool charted(const models::MetricId& id) {
  if (!models::headline(id)) return false;
  if (id.family == "indicators" || id.family == "step_changes") return id.name != "delayed_bed_cost_per_year";
  if (id.family == "waits") return id.name == "mean_wait_days";
  if (id.family == "costs") {
    const models::SubjectKind k = models::subject_kind(id.subject);
    return id.name == "spend_per_year" && (k == models::SubjectKind::System || k == models::SubjectKind::Agency);
  }
  return false;
}

void run_json(Writer& w, const io::StoredRun& run) {
  std::vector<int> by_agency, by_all;
  for (const auto& s : run.services) {
    by_agency.push_back(s.agency);
    by_all.push_back(0);
  }
  w.begin_object().key("name").value(run.scenario_name).key("file").value(source_name(run)).key("source_file").value(run.source_file);
  w.key("seed").value(run.seed).key("replications").value(run.result.replications.size());
  w.key("horizon_years").value(run.horizon_days / kDaysPerYear).key("warmup_years").value(run.warmup_days / kDaysPerYear);
  w.key("services");
  services_json(w, run);
  w.key("agencies").array(run.agencies).key("cohorts").array(run.cohorts).key("yaml").value(run.scenario_text);
  w.key("waits");
  waits_json(w, run);
  w.key("ups");
  yearly(w, run, &models::Series::step_ups, by_all, 1);
  w.key("downs");
  yearly(w, run, &models::Series::step_downs, by_all, 1);
  w.key("spend");
  yearly(w, run, &models::Series::spend, by_agency, run.agencies.size());
  w.key("indicators");
  indicators_json(w, run);
  w.key("delays_by_reason").begin_array();  // delayed bed-days a year by what patients waited for
  for (const models::Metric& m : run.result.summary)
    if (m.id.family == "indicators" && m.id.name == "delayed_bed_days_per_year" &&
        models::subject_kind(m.id.subject) == models::SubjectKind::Reason) {
      w.begin_object().key("reason").value(m.id.subject.substr(m.id.subject.find(':') + 1)).key("ci");
      ci_json(w, m.ci);
      w.end_object();
    }
  w.end_array();
  w.key("spend_per_year");
  if (const auto* spend = find(run, "costs", "spend_per_year", "")) ci_json(w, spend->ci);
  else w.null();
  w.end_object();
}

void comparison_json(Writer& w, const io::StoredRun& base, const io::StoredRun& other) {
  const bool same_count = base.result.replications.size() == other.result.replications.size();
  const bool paired = same_count && base.seed == other.seed;
  models::RunResult a = base.result, b = other.result;
  if (!same_count) {  // unpaired comparison of unequal samples: trim to the shorter (stated on the page)
    const std::size_t n = std::min(a.replications.size(), b.replications.size());
    for (models::RunResult* r : {&a, &b}) {
      r->replications.resize(n);
      for (models::Metric& m : r->summary) m.values.resize(n);
    }
  }
  const models::ScenarioComparison c = models::compare_runs(other.scenario_name, a, b, paired);
  w.begin_object().key("paired").value(paired).key("replications").value(std::min(a.replications.size(), b.replications.size()));
  w.key("rows").begin_array();
  for (const models::MetricDifference& d : c.rows) {
    if (!charted(d.id) || d.base.n == 0 || d.other.n == 0) continue;
    w.begin_object().key("family").value(d.id.family).key("name").value(d.id.name).key("subject").value(d.id.subject);
    w.key("unit").value(d.id.unit).key("base");
    ci_json(w, d.base);
    w.key("other");
    ci_json(w, d.other);
    w.key("diff");
    ci_json(w, d.diff);
    w.end_object();
  }
  w.end_array().key("payback_year").value(c.economics.payback_year);
  w.key("cumulative_difference").array(c.economics.cumulative_difference);
  w.key("cost_per_step_up_avoided").value(c.economics.cost_per_step_up_avoided).end_object();
}

// The vocabularies the pages' scripts need (models/vocabulary.hpp), so that no script spells them.
void vocabulary_json(Writer& w) {
  w.begin_object().key("tiers").begin_array();
  for (const auto& t : models::kTiers) w.begin_object().key("name").value(t.name).key("note").value(t.meaning).end_object();
  w.end_array().key("track_states").begin_object();
  for (const auto& t : models::kTrackStates) w.key(t.name).value(static_cast<int>(t.value));
  w.end_object().key("days_per_year").value(kDaysPerYear).end_object();
}

}  // namespace

std::string animation_html(const std::vector<io::StoredRun>& runs, const AnimationOptions& opt) {
  if (runs.empty() || runs.size() > 2) throw std::invalid_argument("animate shows one scenario or two side by side");
  Writer data(json::kPageData);
  data.begin_object().key("scenarios").begin_array();
  for (const io::StoredRun& run : runs) animation_json(data, run);
  data.end_array().key("start_date");
  if (opt.start_date.empty()) data.null();
  else data.value(opt.start_date);
  data.key("video");
  if (opt.video_frames) data.begin_object().key("frames").value(opt.video_frames).end_object();
  else data.null();
  data.key("vocabulary");
  vocabulary_json(data);
  data.end_object();
  std::string title = runs[0].scenario_name;
  if (runs.size() > 1) title += " vs " + runs[1].scenario_name;
  std::string page = joined(web::k_animation_html);
  page = fill(page, "CAREFLOW_TITLE", html_escape(title));
  page = fill(page, "CAREFLOW_STYLE", joined(web::k_style_css));
  page = fill(page, "CAREFLOW_DATA", data.text());
  page = fill(page, "CAREFLOW_SCRIPT", joined(web::k_animation_js));
  return page;
}

std::map<std::string, Target> default_targets() {
  // England reference points from the calibration notes (rows A7, A10, C3, C4, C20).
  return {
      {"NI125_at_home_91_days", {82, true, "England ≈82% (ASCOF 2B, Nuffield Trust QualityWatch)"}},
      {"ASCOF2A_admissions_65plus_per_100000", {584, false, "England 584 per 100,000 65+ (2019/20, Nuffield Trust)"}},
      {"referrals_per_10000_children", {518, false, "England ≈518 per 10,000 (DfE, 2023/24)"}},
      {"rereferrals_within_12_months", {22, false, "England 22% (DfE, 2023/24)"}},
      {"looked_after_per_10000", {70, false, "England 70 per 10,000 (DfE, 2024)"}},
  };
}

std::string report_html(const io::StoredRun& base, const io::StoredRun* other, const std::map<std::string, Target>& targets) {
  Writer data(json::kPageData);
  data.begin_object().key("runs").begin_array();
  run_json(data, base);
  if (other) run_json(data, *other);
  data.end_array().key("comparison");
  if (other) comparison_json(data, base, *other);
  else data.null();
  data.key("targets").begin_object();
  for (const auto& [name, t] : targets) {
    data.key(name).begin_object().key("value").value(t.value).key("higher_is_better").value(t.higher_is_better);
    data.key("source").value(t.source).end_object();
  }
  data.end_object().key("vocabulary");
  vocabulary_json(data);
  data.end_object();
  std::string title = base.scenario_name;
  if (other) title += " vs " + other->scenario_name;
  std::string page = joined(web::k_report_html);
  page = fill(page, "CAREFLOW_TITLE", html_escape(title));
  page = fill(page, "CAREFLOW_STYLE", joined(web::k_style_css));
  page = fill(page, "CAREFLOW_DATA", data.text());
  page = fill(page, "CAREFLOW_SCRIPT", joined(web::k_report_js));
  return page;
}

}  // namespace careflow::viz
