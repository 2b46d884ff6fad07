// `careflow animate` and `careflow report`: pages (and videos) made from results files of
// `careflow run --out`, one run or two compared; `report --stress` the STRESS-DES description.
#include <fmt/core.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "careflow/io/hdf5_reader.hpp"
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

}  // namespace

int animate(const PresentArgs& a) {
  if (a.out.empty() && a.videos.empty()) throw BadInput("animate: give --out FILE.html and/or --video FILE.mp4|.gif");
  if (!a.start_date.empty() && !std::regex_match(a.start_date, std::regex(R"(\d{4}-\d{2}-\d{2})")))
    throw BadInput("--start-date: expected YYYY-MM-DD, found '" + a.start_date + "'");
  if (!a.out.empty()) check_output(a.out);
  for (const std::string& v : a.videos) {
    const std::string ext = std::filesystem::path(v).extension().string();
    if (ext != ".mp4" && ext != ".gif") throw BadInput("--video " + v + ": give a file ending in .mp4 or .gif");
    check_output(v);
  }
  if (!a.videos.empty()) viz::check_video_tools(a.video);  // before anything is written
  io::ReadOptions ro;
  const auto runs = read_runs(a, ro);
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
  check_output(a.out);
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
    x.value = std::stod(m[2]);
    if (m[3].matched) x.higher_is_better = m[3] == "higher";
    x.source = "given with --target";
  }
  const auto runs = read_runs(a, {});
  const std::string page = viz::report_html(runs[0], runs.size() > 1 ? &runs[1] : nullptr, targets);
  support::write_file_atomically(a.out, page);
  fmt::print("Report written to {} ({})\n", a.out, size_text(page.size()));
  return 0;
}

}  // namespace careflow::app
