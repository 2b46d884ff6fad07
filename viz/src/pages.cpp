// Builds the animation and report pages: the data of the run files as one JSON blob, put into
// the HTML templates of viz/web/ (embedded at build time) together with their script and styles.
#include "careflow/viz/pages.hpp"

#include <fmt/core.h>

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

std::string quote(std::string_view s) {
  std::string o = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      o += '\\';
      o += c;
    } else if (u < 0x20 || c == '<' || c == '>' || c == '&') {
      o += fmt::format("\\u{:04x}", static_cast<int>(u));  // `<` escaped: the JSON sits inside a <script>
    } else {
      o += c;
    }
  }
  return o + "\"";
}

std::string num(double x) {
  if (!std::isfinite(x)) return "null";
  if (x == std::round(x) && std::abs(x) < 1e15) return fmt::format("{:.0f}", x);
  return fmt::format("{:.6g}", x);
}

template <class T, class F>
std::string array(const std::vector<T>& v, F f) {
  std::string o = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) o += ',';
    o += f(v[i]);
  }
  return o + "]";
}

std::string numbers(const std::vector<double>& v) { return array(v, num); }

// A [week × columns] row-major block as nested arrays.
std::string rows(const std::vector<double>& v, std::size_t columns) {
  std::string o = "[";
  for (std::size_t w = 0; columns && w * columns < v.size(); ++w) {
    if (w) o += ',';
    o += '[';
    for (std::size_t c = 0; c < columns; ++c) {
      if (c) o += ',';
      o += num(v[w * columns + c]);
    }
    o += ']';
  }
  return o + "]";
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

std::string services_json(const io::StoredRun& run) {
  return array(run.services, [&](const io::StoredService& s) {
    return fmt::format("{{\"name\":{},\"tier\":{},\"kind\":{},\"agency\":{},\"agency_name\":{},\"capacity\":{}}}", quote(s.name),
                       quote(s.tier), quote(s.kind), s.agency, quote(run.agencies.at(static_cast<std::size_t>(s.agency))), s.capacity);
  });
}

std::string strings_json(const std::vector<std::string>& v) { return array(v, [](const std::string& s) { return quote(s); }); }

std::string source_name(const io::StoredRun& run) { return std::filesystem::path(run.path).filename().string(); }

// ---------------------------------------------------------------- animation data

std::string animation_json(const io::StoredRun& run) {
  if (run.result.replications.empty()) throw std::runtime_error(run.path + ": the file holds no replications");
  const models::ReplicationResult& rep = run.result.replications.front();
  const models::Series& s = rep.series;
  const std::size_t ns = run.services.size(), na = run.agencies.size(), weeks = s.time_days.size();
  if (weeks == 0) throw std::runtime_error(run.path + ": replication 0 has no weekly series to animate");
  // Weekly spend by agency (the series is by service).
  std::vector<double> spend(weeks * na, 0.0);
  for (std::size_t w = 0; w < weeks; ++w)
    for (std::size_t k = 0; k < ns; ++k) spend[w * na + static_cast<std::size_t>(run.services[k].agency)] += s.spend[w * ns + k];
  // Tracked people: one entry per person, their moves in time order.
  std::map<std::uint64_t, std::vector<const models::TrackPoint*>> people;
  for (const models::TrackPoint& p : rep.tracks) people[p.person].push_back(&p);
  std::map<std::uint64_t, std::size_t> index;
  std::string tracks = "[";
  for (auto& [id, moves] : people) {
    std::stable_sort(moves.begin(), moves.end(), [](auto* a, auto* b) { return a->time < b->time; });
    if (index.size()) tracks += ',';
    index[id] = index.size();
    std::string t = "[", sv = "[", st = "[";
    for (std::size_t i = 0; i < moves.size(); ++i) {
      if (i) {
        t += ',';
        sv += ',';
        st += ',';
      }
      t += num(moves[i]->time);
      sv += std::to_string(moves[i]->service);
      st += std::to_string(moves[i]->state);
    }
    tracks += fmt::format("[{},{}],{}],{}]]", id, t, sv, st);
  }
  tracks += "]";
  // Step changes of the tracked people, to light up their dots.
  std::string steps = "[";
  bool first = true;
  for (const models::StepChangeRecord& e : rep.step_changes) {
    const auto it = index.find(e.person);
    if (it == index.end()) continue;
    if (!first) steps += ',';
    first = false;
    steps += fmt::format("[{},{},{},{},{}]", num(e.time), it->second, e.from_service, e.to_service, e.direction);
  }
  steps += "]";
  return fmt::format(
      "{{\"name\":{},\"file\":{},\"seed\":{},\"replication\":{},\"warmup\":{},\"horizon\":{},\"services\":{},\"agencies\":{},"
      "\"weeks\":{},\"queue\":{},\"spend\":{},\"ups\":{},\"downs\":{},\"tracks\":{},\"steps\":{}}}",
      quote(run.scenario_name), quote(source_name(run)), run.seed, rep.replication, num(run.warmup_days), num(run.horizon_days),
      services_json(run), strings_json(run.agencies), numbers(s.time_days), rows(s.queue, ns), rows(spend, na), rows(s.step_ups, ns),
      rows(s.step_downs, ns), tracks, steps);
}

// ---------------------------------------------------------------- report data

const models::Metric* find(const io::StoredRun& run, const std::string& family, const std::string& name, const std::string& subject) {
  for (const models::Metric& m : run.result.summary)
    if (m.id.family == family && m.id.name == name && m.id.subject == subject) return &m;
  return nullptr;
}

std::string ci_json(const ConfidenceInterval& ci) {
  return fmt::format("{{\"mean\":{},\"hw\":{},\"n\":{}}}", num(ci.mean), num(ci.half_width), ci.n);
}

// Per year of the reported period, for each replication: the sum of `field` over `columns`
// grouped by `group` (column → group index), then the mean and interval across replications.
// Returns JSON {years:[..], groups:[{mean:[..],hw:[..], cum_mean:[..], cum_hw:[..]}...]}.
std::string yearly(const io::StoredRun& run, std::vector<double> models::Series::*field, const std::vector<int>& group,
                   std::size_t groups) {
  const auto& reps = run.result.replications;
  const std::size_t years = static_cast<std::size_t>(std::max(0.0, std::floor((run.horizon_days - run.warmup_days) / kDaysPerYear + 1e-9)));
  // values[g][y][r]
  std::vector<std::vector<std::vector<double>>> v(groups, std::vector<std::vector<double>>(years, std::vector<double>(reps.size(), 0.0)));
  for (std::size_t r = 0; r < reps.size(); ++r) {
    const models::Series& s = reps[r].series;
    const std::vector<double>& data = s.*field;
    for (std::size_t w = 0; w < s.time_days.size(); ++w) {
      // The week ending at time_days[w] counts in the year its middle falls in.
      const double mid = s.time_days[w] - 3.5 - run.warmup_days;
      if (mid < 0) continue;
      const auto y = static_cast<std::size_t>(mid / kDaysPerYear);
      if (y >= years) continue;
      for (std::size_t k = 0; k < s.services; ++k) v[static_cast<std::size_t>(group[k])][y][r] += data[w * s.services + k];
    }
  }
  std::vector<double> year_numbers;
  for (std::size_t y = 0; y < years; ++y) year_numbers.push_back(static_cast<double>(y + 1));
  std::string o = "{\"years\":" + numbers(year_numbers) + ",\"groups\":[";
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
    o += fmt::format("{}{{\"mean\":{},\"hw\":{},\"cum_mean\":{},\"cum_hw\":{}}}", g ? "," : "", numbers(mean), numbers(hw), numbers(cmean),
                     numbers(chw));
  }
  return o + "]}";
}

std::string waits_json(const io::StoredRun& run) {
  // Distribution of waits in replication 0 (episodes that started service in the reported period).
  std::vector<std::vector<double>> waits(run.services.size());
  if (!run.result.replications.empty())
    for (const models::EpisodeRecord& e : run.result.replications.front().episodes)
      if (e.service >= 0 && static_cast<std::size_t>(e.service) < waits.size() && std::isfinite(e.wait()) && e.referred >= run.warmup_days)
        waits[static_cast<std::size_t>(e.service)].push_back(e.wait());
  std::string o = "[";
  for (std::size_t k = 0; k < run.services.size(); ++k) {
    const std::string& name = run.services[k].name;
    std::vector<double> q;
    for (double p : {0.05, 0.25, 0.5, 0.75, 0.9, 0.95}) q.push_back(waits[k].empty() ? std::nan("") : quantile(waits[k], p));
    auto metric = [&](const char* n) {
      const models::Metric* m = find(run, "waits", n, name);
      return m ? ci_json(m->ci) : std::string("null");
    };
    o += fmt::format("{}{{\"service\":{},\"tier\":{},\"episodes\":{},\"q\":{},\"mean\":{},\"median\":{},\"p90\":{},\"p95\":{}}}", k ? "," : "",
                     quote(name), quote(run.services[k].tier), waits[k].size(), numbers(q), metric("mean_wait_days"),
                     metric("median_wait_days"), metric("p90_wait_days"), metric("p95_wait_days"));
  }
  return o + "]";
}

std::string indicators_json(const io::StoredRun& run) {
  std::string o = "[";
  bool first = true;
  for (const models::Metric& m : run.result.summary) {
    if (m.id.family != "indicators") continue;
    o += fmt::format("{}{{\"name\":{},\"unit\":{},\"ci\":{}}}", first ? "" : ",", quote(m.id.name), quote(m.id.unit), ci_json(m.ci));
    first = false;
  }
  return o + "]";
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

std::string run_json(const io::StoredRun& run) {
  std::vector<int> by_agency, by_all;
  for (const auto& s : run.services) {
    by_agency.push_back(s.agency);
    by_all.push_back(0);
  }
  const auto* spend = find(run, "costs", "spend_per_year", "");
  return fmt::format(
      "{{\"name\":{},\"file\":{},\"source_file\":{},\"seed\":{},\"replications\":{},\"horizon_years\":{},\"warmup_years\":{},"
      "\"services\":{},\"agencies\":{},\"cohorts\":{},\"yaml\":{},\"waits\":{},\"ups\":{},\"downs\":{},\"spend\":{},"
      "\"indicators\":{},\"spend_per_year\":{}}}",
      quote(run.scenario_name), quote(source_name(run)), quote(run.source_file), run.seed, run.result.replications.size(),
      num(run.horizon_days / kDaysPerYear), num(run.warmup_days / kDaysPerYear), services_json(run), strings_json(run.agencies),
      strings_json(run.cohorts), quote(run.scenario_text), waits_json(run), yearly(run, &models::Series::step_ups, by_all, 1),
      yearly(run, &models::Series::step_downs, by_all, 1), yearly(run, &models::Series::spend, by_agency, run.agencies.size()),
      indicators_json(run), spend ? ci_json(spend->ci) : "null");
}

std::string comparison_json(const io::StoredRun& base, const io::StoredRun& other) {
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
  std::string rows_text = "[";
  bool first = true;
  for (const models::MetricDifference& d : c.rows) {
    if (!charted(d.id) || d.base.n == 0 || d.other.n == 0) continue;
    rows_text += fmt::format("{}{{\"family\":{},\"name\":{},\"subject\":{},\"unit\":{},\"base\":{},\"other\":{},\"diff\":{}}}",
                             first ? "" : ",", quote(d.id.family), quote(d.id.name), quote(d.id.subject), quote(d.id.unit),
                             ci_json(d.base), ci_json(d.other), ci_json(d.diff));
    first = false;
  }
  rows_text += "]";
  return fmt::format("{{\"paired\":{},\"replications\":{},\"rows\":{},\"payback_year\":{},\"cumulative_difference\":{},"
                     "\"cost_per_step_up_avoided\":{}}}",
                     paired ? "true" : "false", std::min(a.replications.size(), b.replications.size()), rows_text,
                     num(c.economics.payback_year), numbers(c.economics.cumulative_difference), num(c.economics.cost_per_step_up_avoided));
}

// The vocabularies the pages' scripts need (models/vocabulary.hpp), so that no script spells them.
std::string vocabulary_json() {
  std::string tiers;
  for (const auto& t : models::kTiers) tiers += fmt::format("{}{{\"name\":{},\"note\":{}}}", tiers.empty() ? "" : ",", quote(std::string(t.name)), quote(std::string(t.meaning)));
  std::string states;
  for (const auto& t : models::kTrackStates)
    states += fmt::format("{}{}:{}", states.empty() ? "" : ",", quote(std::string(t.name)), static_cast<int>(t.value));
  return fmt::format("{{\"tiers\":[{}],\"track_states\":{{{}}},\"days_per_year\":{}}}", tiers, states, num(kDaysPerYear));
}

}  // namespace

std::string animation_html(const std::vector<io::StoredRun>& runs, const AnimationOptions& opt) {
  if (runs.empty() || runs.size() > 2) throw std::invalid_argument("animate shows one scenario or two side by side");
  std::string data = "{\"scenarios\":[";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (i) data += ',';
    data += animation_json(runs[i]);
  }
  data += "],\"start_date\":" + (opt.start_date.empty() ? std::string("null") : quote(opt.start_date));
  data += ",\"video\":" + (opt.video_frames ? fmt::format("{{\"frames\":{}}}", opt.video_frames) : std::string("null"));
  data += ",\"vocabulary\":" + vocabulary_json() + "}";
  std::string title = runs[0].scenario_name;
  if (runs.size() > 1) title += " vs " + runs[1].scenario_name;
  std::string page = joined(web::k_animation_html);
  page = fill(page, "CAREFLOW_TITLE", html_escape(title));
  page = fill(page, "CAREFLOW_STYLE", joined(web::k_style_css));
  page = fill(page, "CAREFLOW_DATA", data);
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
  std::string data = "{\"runs\":[" + run_json(base);
  if (other) {
    data += ',';
    data += run_json(*other);
  }
  data += "],\"comparison\":" + (other ? comparison_json(base, *other) : std::string("null"));
  data += ",\"targets\":{";
  bool first = true;
  for (const auto& [name, t] : targets) {
    data += fmt::format("{}{}:{{\"value\":{},\"higher_is_better\":{},\"source\":{}}}", first ? "" : ",", quote(name), num(t.value),
                        t.higher_is_better ? "true" : "false", quote(t.source));
    first = false;
  }
  data += "},\"vocabulary\":" + vocabulary_json() + "}";
  std::string title = base.scenario_name;
  if (other) title += " vs " + other->scenario_name;
  std::string page = joined(web::k_report_html);
  page = fill(page, "CAREFLOW_TITLE", html_escape(title));
  page = fill(page, "CAREFLOW_STYLE", joined(web::k_style_css));
  page = fill(page, "CAREFLOW_DATA", data);
  page = fill(page, "CAREFLOW_SCRIPT", joined(web::k_report_js));
  return page;
}

}  // namespace careflow::viz
