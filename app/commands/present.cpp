// `careflow animate` and `careflow report`: pages (and videos) made from results files of
// `careflow run --out`, one run or two compared; `report --stress` the STRESS-DES description.
#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <regex>
#include <string>
#include <system_error>
#include <vector>

#include "careflow/io/hdf5_reader.hpp"
#include "careflow/models/vocabulary.hpp"
#include "careflow/support/atomic_file.hpp"
#include "careflow/viz/pages.hpp"
#include "careflow/viz/stress.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "format.hpp"

namespace careflow::app {
namespace {

// The results file and the one to compare with; an unreadable file is bad input.
std::vector<io::StoredRun> read_runs(const PresentArgs& a, const io::ReadOptions& opt) {
  std::vector<io::StoredRun> runs;
  try {
    runs.push_back(io::read_results_hdf5(a.results, opt));
    if (!a.compare.empty()) runs.push_back(io::read_results_hdf5(a.compare, opt));
  } catch (const io::ResultsFileError& e) {
    throw BadInput(e.what());
  }
  return runs;
}

// A run compared with another must be comparable figure by figure: the same horizon and
// warm-up (figures are per reported year, the pages on one clock) and, for the report's
// differences, the same number of replications (intervals of unequal samples would be trimmed
// to the shorter). Otherwise BadInput lists each difference, unless the user allows it
// (--allow-incomparable): then it is a warning. Different seeds are comparable: the report
// then compares unpaired, and says so.
void check_comparable(const std::vector<io::StoredRun>& runs, bool allowed, const char* command, bool replications) {
  if (runs.size() < 2) return;
  const io::StoredRun& a = runs[0];
  const io::StoredRun& b = runs[1];
  std::vector<std::string> differences;
  const auto years = [](double days) {
    const double y = days / models::kDaysPerYear;
    return fmt::format("{:g} year{}", y, y == 1 ? "" : "s");
  };
  const auto differ = [](double x, double y) { return std::abs(x - y) > 1e-9 * std::max(1.0, std::abs(x)); };
  if (differ(a.horizon_days, b.horizon_days))
    differences.push_back(fmt::format("horizon {} in {}, {} in {}", years(a.horizon_days), a.path, years(b.horizon_days), b.path));
  if (differ(a.warmup_days, b.warmup_days))
    differences.push_back(fmt::format("warm-up {} in {}, {} in {}", years(a.warmup_days), a.path, years(b.warmup_days), b.path));
  if (replications && a.result.replications.size() != b.result.replications.size())
    differences.push_back(fmt::format("{} replications in {}, {} in {}", a.result.replications.size(), a.path,
                                      b.result.replications.size(), b.path));
  if (differences.empty()) return;
  std::string list;
  for (const std::string& d : differences) list += (list.empty() ? "" : "; ") + d;
  if (allowed) {
    diagnose("careflow: warning: {} --compare: the runs are not comparable ({}); compared anyway (--allow-incomparable)\n",
             command, list);
    return;
  }
  throw BadInput(fmt::format("{} --compare: the runs are not comparable: {}. Compare runs made with the same --years, "
                             "warm-up{}, or give --allow-incomparable to compare them anyway",
                             command, list, replications ? " and --replications" : ""));
}

// A --target value: a finite decimal number (stod alone takes "nan" and throws out_of_range for 1e999).
double target_value(const std::string& spec, const std::string& text) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
    throw BadInput("--target '" + spec + "': " + text + " is not a finite number");
  return v;
}

}  // namespace

int animate(const PresentArgs& a) {
  if (a.out.empty() && a.videos.empty()) throw BadInput("animate: give --out FILE.html and/or --video FILE.mp4|.gif");
  if (!a.start_date.empty() && !std::regex_match(a.start_date, std::regex(R"(\d{4}-\d{2}-\d{2})")))
    throw BadInput("--start-date: expected YYYY-MM-DD, found '" + a.start_date + "'");
  support::OutputPlan paths;
  paths.input("the results file", a.results);
  paths.input("--compare", a.compare);
  if (!a.out.empty()) paths.file("--out", a.out);
  for (const std::string& v : a.videos) {
    const std::string ext = std::filesystem::path(v).extension().string();
    if (ext != ".mp4" && ext != ".gif") throw BadInput("--video " + v + ": give a file ending in .mp4 or .gif");
    paths.file("--video", v);
  }
  check_paths(paths);
  if (!a.videos.empty()) viz::check_video_tools(a.video);  // before anything is written
  io::ReadOptions ro;
  const auto runs = read_runs(a, ro);
  check_comparable(runs, a.allow_incomparable, "animate", false);  // it shows replication 0 of each
  viz::AnimationOptions opt;
  opt.start_date = a.start_date;
  if (!a.out.empty()) {
    const std::string page = viz::animation_html(runs, opt);
    support::write_file_atomically(a.out, page);
    fmt::print("Animation written to {} ({})\n", a.out, size_text(page.size()));
  }
  if (!a.videos.empty()) {
    viz::render_video(runs, opt, a.video, a.videos);
    for (const std::string& v : a.videos)
      fmt::print("Video written to {} ({:.0f} s at {} frames per second)\n", v, a.video.seconds, a.video.fps);
  }
  return 0;
}

int report(const PresentArgs& a) {
  support::OutputPlan paths;
  paths.input("the results file", a.results);
  paths.input("--compare", a.compare);
  paths.file("--out", a.out);
  check_paths(paths);
  if (a.stress) {
    if (!a.compare.empty() || !a.targets.empty()) throw BadInput("report --stress describes one run: leave out --compare and --target");
    io::ReadOptions ro;
    ro.series = false;
    ro.records = false;
    const auto runs = read_runs(a, ro);
    const std::string text = viz::stress_report(runs[0]);
    support::write_file_atomically(a.out, text);
    fmt::print("STRESS-DES report written to {} ({})\n", a.out, size_text(text.size()));
    return 0;
  }
  auto targets = viz::default_targets();
  for (const std::string& t : a.targets) {
    const std::regex form(R"(([A-Za-z0-9_]+)=(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)(?::(higher|lower))?)");
    std::smatch m;
    if (!std::regex_match(t, m, form)) throw BadInput("--target '" + t + "': expected NAME=VALUE or NAME=VALUE:higher|lower");
    viz::Target& x = targets[m[1]];
    x.value = target_value(t, m[2]);
    if (m[3].matched) x.higher_is_better = m[3] == "higher";
    x.source = "given with --target";
  }
  const auto runs = read_runs(a, {});
  check_comparable(runs, a.allow_incomparable, "report", true);
  const std::string page = viz::report_html(runs[0], runs.size() > 1 ? &runs[1] : nullptr, targets);
  support::write_file_atomically(a.out, page);
  fmt::print("Report written to {} ({})\n", a.out, size_text(page.size()));
  return 0;
}

}  // namespace careflow::app
