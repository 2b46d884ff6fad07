#include "careflow/models/sweep.hpp"

#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "careflow/engine/bytes.hpp"
#include "careflow/models/scenario_loader.hpp"
#include "careflow/support/atomic_file.hpp"
#include "parallel.hpp"
#include "scenario/located_yaml.hpp"
#include "scenario/scenario_tree.hpp"

namespace careflow::models {
namespace {

namespace fs = std::filesystem;

std::vector<std::vector<std::string>> points_of(const SweepSpec& spec) {
  std::vector<std::vector<std::string>> points;
  for (const std::vector<std::size_t>& point : sweep_points(spec)) {
    std::vector<std::string> values;
    for (std::size_t k = 0; k < point.size(); ++k) values.push_back(spec.parameters[k].values[point[k]]);
    points.push_back(std::move(values));
  }
  return points;
}

// ---- the journal: one small file per finished (point, replication) ----------------------
//
// Each file is written whole by the atomic writer (a task is in the journal complete or not at
// all, and durable once recorded) in the one byte serialiser's format (engine/bytes.hpp).
// A record (format 2, "cfjourn2") is: the magic, the sweep's key, the point and replication it
// belongs to, the figures as a counted list of doubles, events, fingerprint, and last a 64-bit
// FNV-1a checksum of every byte before it. FNV-1a maps each input byte through a bijection of
// its state, so any change confined to one byte -- any bit flip -- always changes the checksum;
// wider damage goes unnoticed with probability 2^-64. Records of format 1 ("cfjourn1": no
// point, replication or checksum), written by builds before format 2, are still read.

constexpr std::array<char, 8> kMagicV1 = {'c', 'f', 'j', 'o', 'u', 'r', 'n', '1'};
constexpr std::array<char, 8> kMagic = {'c', 'f', 'j', 'o', 'u', 'r', 'n', '2'};

constexpr std::uint64_t kFnvBasis = 0xCBF29CE484222325ull;

std::uint64_t fnv(std::string_view s, std::uint64_t h = kFnvBasis) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ull;
  return h;
}

// Identifies the sweep: a journal written for another sweep is refused, not mixed in.
std::uint64_t sweep_key(const SweepSpec& spec, const std::vector<Scenario>& scenarios, std::uint64_t seed, std::uint64_t reps) {
  std::uint64_t h = fnv(std::to_string(seed) + "/" + std::to_string(reps) + (spec.grid ? "/grid" : "/list"));
  for (const Scenario& s : scenarios) h = fnv(s.source_text + std::to_string(s.horizon_years) + std::to_string(s.warmup_years), h);
  return h;
}

struct TaskResult : SweepTaskResult {
  bool done = false;
};

fs::path task_file(const fs::path& dir, std::size_t point, std::uint64_t rep) {
  std::string name = "p";  // built step by step: gcc 12 warns falsely on "p" + std::string
  name += std::to_string(point);
  name += "_r";
  name += std::to_string(rep);
  name += ".bin";
  return dir / name;
}

void save_task(const fs::path& dir, std::size_t point, std::uint64_t rep, std::uint64_t key, const TaskResult& t) {
  std::vector<char> bytes;
  ByteWriter w(bytes);
  w.pod(kMagic);
  w.pod(key);
  w.pod(static_cast<std::uint64_t>(point));
  w.pod(rep);
  w.pods(t.values);
  w.pod(t.events);
  w.pod(t.fingerprint);
  w.pod(fnv(std::string_view(bytes.data(), bytes.size())));
  support::write_file_atomically(task_file(dir, point, rep).string(), std::string_view(bytes.data(), bytes.size()));
}

[[noreturn]] void other_sweep(const fs::path& dir) {
  throw std::runtime_error("the journal in " + dir.string() +
                           " belongs to a different sweep (scenario, values, seed or replications changed); "
                           "remove it or run without --resume");
}

// What a journal file says about its task.
enum class Record { absent, damaged, loaded };

// A file that is missing, not a journal file, cut short, damaged (checksum), of another task
// or of another shape is not a finished task: it is run again. A record whose checksum holds
// but whose key is another sweep's is an error: the journal is someone else's.
Record load_task(const fs::path& dir, std::size_t point, std::uint64_t rep, std::uint64_t key, std::size_t metrics, TaskResult& t) {
  std::ifstream in(task_file(dir, point, rep), std::ios::binary);
  if (!in) return Record::absent;
  const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (bytes.size() < 8 + 8) return Record::damaged;
  ByteReader r(bytes);
  const auto magic = r.pod<std::array<char, 8>>();
  SweepTaskResult task;
  try {
    if (magic == kMagic) {
      // The checksum first: nothing in a damaged record is trusted, not even its key.
      if (bytes.size() < 8 * 8) return Record::damaged;
      const std::size_t body = bytes.size() - 8;
      if (ByteReader(bytes.data() + body, 8).pod<std::uint64_t>() != fnv(std::string_view(bytes.data(), body)))
        return Record::damaged;
      if (r.pod<std::uint64_t>() != key) other_sweep(dir);
      // A record under another task's name (files swapped or copied) is not this task's.
      if (r.pod<std::uint64_t>() != point || r.pod<std::uint64_t>() != rep) return Record::damaged;
    } else if (magic == kMagicV1) {
      if (r.pod<std::uint64_t>() != key) other_sweep(dir);
    } else {
      return Record::damaged;
    }
    task.values = r.pods<double>();
    task.events = r.pod<std::uint64_t>();
    task.fingerprint = r.pod<std::uint64_t>();
    if (magic == kMagic) (void)r.pod<std::uint64_t>();  // the checksum, verified above
  } catch (const std::runtime_error& e) {
    if (std::string_view(e.what()).rfind("bytes:", 0) == 0) return Record::damaged;  // cut short
    throw;
  }
  // Exactly the figures this point has, and nothing after the record.
  if (task.values.size() != metrics || !r.done()) return Record::damaged;
  static_cast<SweepTaskResult&>(t) = std::move(task);
  t.done = true;
  return Record::loaded;
}

}  // namespace

std::vector<std::vector<std::size_t>> sweep_points(const SweepSpec& spec) {
  if (spec.parameters.empty()) throw std::invalid_argument("a sweep needs at least one parameter (--set PATH=v1,v2,...)");
  for (const SweepParameter& p : spec.parameters)
    if (p.values.empty()) throw std::invalid_argument("sweep parameter '" + p.path + "' has no values");
  std::vector<std::vector<std::size_t>> points;
  if (!spec.grid) {
    const std::size_t n = spec.parameters.front().values.size();
    for (const SweepParameter& p : spec.parameters)
      if (p.values.size() != n)
        throw std::invalid_argument("a list sweep needs the same number of values for every parameter ('" + p.path + "' has " +
                                    std::to_string(p.values.size()) + ", '" + spec.parameters.front().path + "' has " +
                                    std::to_string(n) + ")");
    for (std::size_t i = 0; i < n; ++i) points.emplace_back(spec.parameters.size(), i);
    return points;
  }
  points.emplace_back();
  for (const SweepParameter& p : spec.parameters) {  // the first parameter varies slowest
    std::vector<std::vector<std::size_t>> next;
    for (const auto& partial : points)
      for (std::size_t v = 0; v < p.values.size(); ++v) {
        auto q = partial;
        q.push_back(v);
        next.push_back(std::move(q));
      }
    points = std::move(next);
  }
  return points;
}

SweepSpec load_sweep_file(const std::string& path) {
  using namespace located;
  const Node root = parse(read_file(path, SourceRef{path, 0, ""}), path);
  if (root.type != Node::Type::Map)
    fail(path, 1, "", "expected a sweep: a map with scenario, mode and parameters; found " + found(root));
  const Fields f(root, "", {"scenario", "mode", "parameters"}, "a map with scenario, mode and parameters");
  SweepSpec spec;
  const Node& scenario = f.need("scenario", " (the scenario file to sweep, relative to this file)");
  spec.base_file = (fs::path(path).parent_path() / name_text(scenario, "scenario")).string();
  if (const Node* mode = f.get("mode")) spec.grid = choice<bool>(*mode, "mode", {{"grid", true}, {"list", false}});
  const Node& params = f.need("parameters", " (a map of field paths to lists of values)");
  if (params.type != Node::Type::Map || params.entries.empty())
    fail(params, "parameters", "expected a map of field paths to lists of values, found " + found(params));
  for (const Entry& e : params.entries) {
    SweepParameter p;
    p.path = e.key;
    p.origin = SourceRef{path, e.key_line, "parameters." + e.key};
    const std::string field = "parameters." + e.key;
    if (e.value.type == Node::Type::Sequence) {
      for (std::size_t i = 0; i < e.value.items.size(); ++i) p.values.push_back(text(e.value.items[i], at_index(field, i)));
    } else if (e.value.type == Node::Type::Scalar) {
      p.values.push_back(e.value.scalar);
    } else {
      fail(e.value, field, "expected a list of values, found " + found(e.value));
    }
    if (p.values.empty()) fail(e.value, field, "expected at least one value, found an empty list");
    spec.parameters.push_back(std::move(p));
  }
  return spec;
}

std::vector<Scenario> sweep_scenarios(const SweepSpec& spec, const ScenarioSource& base, const CareRunOptions& opt) {
  located::Node tree = load_scenario_tree(base.text, base.file_name, base.base_dir);
  apply_changes(tree, base.changes, base.name_after_changes);
  // Paths are checked once, where they were written (--set, a sweep file's line), before any point.
  for (const SweepParameter& p : spec.parameters)
    if (!p.origin.file.empty()) check_change_path(tree, p.path, p.origin);
  std::vector<Scenario> out;
  const auto points = points_of(spec);
  for (std::size_t i = 0; i < points.size(); ++i) {
    std::vector<FieldChange> changes;
    for (std::size_t k = 0; k < spec.parameters.size(); ++k) changes.push_back(FieldChange{spec.parameters[k].path, points[i][k], {}});
    const std::string origin = "sweep point " + std::to_string(i) + " (" + describe_changes(changes) + ")";
    for (FieldChange& c : changes) c.where = SourceRef{origin, 0, c.path};  // errors name the point
    out.push_back(apply_options(scenario_from_tree(tree, origin, changes, true), opt));
  }
  return out;
}

std::vector<Scenario> sweep_scenarios(const SweepSpec& spec, const CareRunOptions& opt) {
  return sweep_scenarios(spec, read_scenario_source(spec.base_file), opt);
}

SweepPlan plan_sweep(const SweepSpec& spec, const CareRunOptions& opt) {
  const ScenarioSource base = read_scenario_source(spec.base_file);
  const std::vector<Scenario> scenarios = sweep_scenarios(spec, base, opt);
  SweepPlan plan;
  plan.spec = spec;
  plan.base_text = base.text;
  plan.seed = scenarios.front().seed;
  plan.replications = scenarios.front().replications;
  plan.points = points_of(spec);
  for (const Scenario& s : scenarios) {
    validate_scenario(s);
    plan.ids.push_back(metric_ids(s));
  }
  // Every point runs as many replications as the first, from its own seed, which is the base's
  // unless the seed itself is swept: common random numbers across points.
  plan.runs = scenarios;
  for (Scenario& s : plan.runs) s.replications = plan.replications;
  plan.key = sweep_key(spec, plan.runs, plan.seed, plan.replications);
  return plan;
}

SweepTaskResult run_sweep_task(const SweepPlan& plan, std::size_t task) {
  const std::size_t p = task / plan.replications;
  const std::uint64_t r = task % plan.replications;
  ReplicationOptions ro;
  ro.keep = Recorder::kNothing;  // a sweep keeps figures only
  ReplicationResult rep = run_replication(plan.runs.at(p), r, ro);
  SweepTaskResult out;
  out.values = std::move(rep.metric_values);
  out.events = rep.events;
  out.fingerprint = rep.fingerprint;
  return out;
}

SweepResult run_sweep(const SweepSpec& spec, const CareRunOptions& opt, const std::string& journal_dir,
                      const SweepProgress& progress) {
  return run_sweep(plan_sweep(spec, opt), opt, journal_dir, progress);
}

SweepResult run_sweep(const SweepPlan& plan, const CareRunOptions& opt, const std::string& journal_dir,
                      const SweepProgress& progress, const SweepExecutor& executor) {
  SweepResult result;
  result.spec = plan.spec;
  result.base_text = plan.base_text;
  result.seed = plan.seed;
  result.replications = plan.replications;
  result.metric_ids = plan.ids.front();

  const std::size_t total = plan.tasks();
  std::vector<TaskResult> tasks(total);
  fs::path journal;
  std::size_t done = 0;
  if (!journal_dir.empty()) {
    journal = journal_dir;
    fs::create_directories(journal);
    for (std::size_t t = 0; t < total; ++t) {
      const std::size_t p = t / plan.replications;
      switch (load_task(journal, p, t % plan.replications, plan.key, plan.ids[p].size(), tasks[t])) {
        case Record::loaded: ++done; break;
        case Record::damaged: ++result.journal_damaged; break;
        case Record::absent: break;
      }
    }
  }
  std::vector<std::size_t> todo;
  for (std::size_t t = 0; t < total; ++t)
    if (!tasks[t].done) todo.push_back(t);
  std::mutex mu;
  if (progress) progress(done, total);
  const SweepTaskDone finished = [&](std::size_t t, SweepTaskResult&& r) {
    TaskResult& tr = tasks.at(t);
    if (r.values.size() != plan.ids[t / plan.replications].size())
      throw std::runtime_error("sweep task " + std::to_string(t) + " returned " + std::to_string(r.values.size()) +
                               " figures, expected " + std::to_string(plan.ids[t / plan.replications].size()));
    static_cast<SweepTaskResult&>(tr) = std::move(r);
    if (!journal.empty()) save_task(journal, t / plan.replications, t % plan.replications, plan.key, tr);
    std::lock_guard<std::mutex> lock(mu);
    tr.done = true;
    ++done;
    if (progress) progress(done, total);
  };
  if (executor) {
    executor(plan, todo, finished);
  } else {
    for_each_task(opt.threads, todo.size(), [&](std::size_t i) { finished(todo[i], run_sweep_task(plan, todo[i])); });
  }
  for (std::size_t t = 0; t < total; ++t)
    if (!tasks[t].done) throw std::runtime_error("sweep task " + std::to_string(t) + " was never computed");

  for (std::size_t p = 0; p < plan.runs.size(); ++p) {
    SweepPoint point;
    point.values = plan.points[p];
    point.scenario_name = plan.runs[p].name;
    point.run.metric_ids = plan.ids[p];
    for (std::uint64_t r = 0; r < plan.replications; ++r) {
      TaskResult& tr = tasks[p * plan.replications + r];
      ReplicationResult rep;
      rep.replication = r;
      rep.events = tr.events;
      rep.fingerprint = tr.fingerprint;
      rep.metric_values = std::move(tr.values);
      point.run.replications.push_back(std::move(rep));
    }
    summarise(point.run);
    result.points.push_back(std::move(point));
  }
  return result;
}

}  // namespace careflow::models
