#include "careflow/models/sweep.hpp"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include <yaml-cpp/yaml.h>

#include "careflow/engine/bytes.hpp"
#include "careflow/models/scenario_loader.hpp"
#include "careflow/support/atomic_file.hpp"

namespace careflow::models {
namespace {

namespace fs = std::filesystem;

// ---- the override tree of one point ----------------------------------------------------

// A YAML tree small enough to build by path: maps keep insertion order; "key[name]" makes
// a list of named items, merged into the base by name (the loader's `extend` rule).
struct Tree {
  // Special members declared here and defaulted once Tree is complete: clang (with libstdc++)
  // otherwise instantiates std::pair<std::string, Tree> inside the class body and refuses.
  Tree();
  Tree(const Tree&);
  Tree(Tree&&) noexcept;
  Tree& operator=(const Tree&);
  Tree& operator=(Tree&&) noexcept;
  ~Tree();

  std::string scalar;
  bool is_scalar = false;
  std::vector<std::pair<std::string, Tree>> map;
  std::vector<std::pair<std::string, Tree>> named;  // items of a named list

  Tree& child(std::vector<std::pair<std::string, Tree>>& v, const std::string& key);
};

Tree::Tree() = default;
Tree::Tree(const Tree&) = default;
Tree::Tree(Tree&&) noexcept = default;
Tree& Tree::operator=(const Tree&) = default;
Tree& Tree::operator=(Tree&&) noexcept = default;
Tree::~Tree() = default;

Tree& Tree::child(std::vector<std::pair<std::string, Tree>>& v, const std::string& key) {
  for (auto& [k, t] : v)
    if (k == key) return t;
  v.emplace_back(key, Tree{});
  return v.back().second;
}

[[noreturn]] void bad_path(const std::string& path, const std::string& why) {
  throw ScenarioError(SourceRef{"--set", 0, path}, why);
}

void set_path(Tree& root, const std::string& path, const std::string& value) {
  Tree* node = &root;
  std::size_t pos = 0;
  while (pos < path.size()) {
    const std::size_t dot = path.find('.', pos);
    const std::string seg = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    pos = dot == std::string::npos ? path.size() : dot + 1;
    if (seg.empty()) bad_path(path, "empty segment in the path (write e.g. services[early_help].capacity)");
    const std::size_t open = seg.find('[');
    if (open == std::string::npos) {
      node = &node->child(node->map, seg);
    } else {
      if (seg.back() != ']' || open == 0) bad_path(path, "expected key[name] in '" + seg + "'");
      const std::string key = seg.substr(0, open), name = seg.substr(open + 1, seg.size() - open - 2);
      if (name.empty()) bad_path(path, "empty name in '" + seg + "'");
      Tree& list = node->child(node->map, key);
      node = &list.child(list.named, name);
    }
  }
  if (!node->map.empty() || !node->named.empty()) bad_path(path, "the path names a section, not a value");
  node->is_scalar = true;
  node->scalar = value;
}

std::string quote(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

void emit(std::ostringstream& out, const Tree& t, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  for (const auto& [key, child] : t.map) {
    if (child.is_scalar) {
      out << pad << key << ": " << child.scalar << "\n";
    } else if (!child.named.empty()) {
      out << pad << key << ":\n";
      for (const auto& [name, item] : child.named) {
        out << pad << "  - name: " << quote(name) << "\n";
        emit(out, item, indent + 4);
      }
    } else {
      out << pad << key << ":\n";
      emit(out, child, indent + 2);
    }
  }
}

std::vector<std::vector<std::string>> points_of(const SweepSpec& spec) {
  std::vector<std::vector<std::string>> points;
  if (spec.parameters.empty()) throw std::invalid_argument("a sweep needs at least one parameter (--set PATH=v1,v2,...)");
  for (const SweepParameter& p : spec.parameters)
    if (p.values.empty()) throw std::invalid_argument("sweep parameter '" + p.path + "' has no values");
  if (!spec.grid) {
    const std::size_t n = spec.parameters.front().values.size();
    for (const SweepParameter& p : spec.parameters)
      if (p.values.size() != n)
        throw std::invalid_argument("a list sweep needs the same number of values for every parameter ('" + p.path + "' has " +
                                    std::to_string(p.values.size()) + ", '" + spec.parameters.front().path + "' has " +
                                    std::to_string(n) + ")");
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<std::string> v;
      for (const SweepParameter& p : spec.parameters) v.push_back(p.values[i]);
      points.push_back(v);
    }
    return points;
  }
  points.push_back({});
  for (const SweepParameter& p : spec.parameters) {  // the first parameter varies slowest
    std::vector<std::vector<std::string>> next;
    for (const auto& partial : points)
      for (const std::string& v : p.values) {
        auto q = partial;
        q.push_back(v);
        next.push_back(std::move(q));
      }
    points = std::move(next);
  }
  return points;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(SourceRef{path, 0, ""}, "cannot read the scenario file");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---- the journal: one small file per finished (point, replication) ----------------------
//
// Each file is written whole by the atomic writer (a task is in the journal complete or not at
// all, and durable once recorded) in the one byte serialiser's format (engine/bytes.hpp): the
// magic, the sweep's key, the figures as a counted list of doubles, events, fingerprint.

constexpr std::array<char, 8> kMagic = {'c', 'f', 'j', 'o', 'u', 'r', 'n', '1'};

std::uint64_t fnv(const std::string& s, std::uint64_t h = 0xCBF29CE484222325ull) {
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
  w.pods(t.values);
  w.pod(t.events);
  w.pod(t.fingerprint);
  support::write_file_atomically(task_file(dir, point, rep).string(), std::string_view(bytes.data(), bytes.size()));
}

// A file that is missing, not a journal file, cut short or of another shape is not a finished
// task (it is run again); a journal of another sweep is an error.
bool load_task(const fs::path& dir, std::size_t point, std::uint64_t rep, std::uint64_t key, std::size_t metrics, TaskResult& t) {
  std::ifstream in(task_file(dir, point, rep), std::ios::binary);
  if (!in) return false;
  const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ByteReader r(bytes);
  // ByteReader throws on data that ends early: false for a file cut short.
  const auto complete = [](const auto& read) {
    try {
      read();
      return true;
    } catch (const std::runtime_error&) {
      return false;
    }
  };
  std::array<char, 8> magic{};
  std::uint64_t k = 0;
  if (!complete([&] {
        magic = r.pod<std::array<char, 8>>();
        k = r.pod<std::uint64_t>();
      }) ||
      magic != kMagic)
    return false;
  if (k != key)
    throw std::runtime_error("the journal in " + dir.string() +
                             " belongs to a different sweep (scenario, values, seed or replications changed); "
                             "remove it or run without --resume");
  SweepTaskResult task;
  if (!complete([&] {
        task.values = r.pods<double>();
        task.events = r.pod<std::uint64_t>();
        task.fingerprint = r.pod<std::uint64_t>();
      }) ||
      task.values.size() != metrics)
    return false;
  static_cast<SweepTaskResult&>(t) = std::move(task);
  t.done = true;
  return true;
}

}  // namespace

SweepSpec load_sweep_file(const std::string& path) {
  auto fail = [&](const YAML::Node& n, const std::string& field, const std::string& why) -> ScenarioError {
    return ScenarioError(SourceRef{path, n.Mark().line + 1, field}, why);
  };
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ScenarioError(SourceRef{path, 0, ""}, "cannot read the sweep file");
  } catch (const YAML::Exception& e) {
    throw ScenarioError(SourceRef{path, e.mark.line + 1, ""}, "YAML syntax error: " + e.msg);
  }
  if (!root.IsMap()) throw ScenarioError(SourceRef{path, 1, ""}, "expected a map with scenario, mode and parameters");
  SweepSpec spec;
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    if (key != "scenario" && key != "mode" && key != "parameters")
      throw fail(kv.first, key, "unknown field '" + key + "' (expected scenario, mode, parameters)");
  }
  const YAML::Node scenario = root["scenario"];
  if (!scenario || !scenario.IsScalar()) throw fail(root, "scenario", "missing the scenario file to sweep");
  const fs::path base = fs::path(path).parent_path() / scenario.as<std::string>();
  spec.base_file = base.string();
  if (const YAML::Node mode = root["mode"]) {
    const std::string m = mode.IsScalar() ? mode.as<std::string>() : "";
    if (m != "grid" && m != "list") throw fail(mode, "mode", "expected grid or list, found '" + m + "'");
    spec.grid = m == "grid";
  }
  const YAML::Node params = root["parameters"];
  if (!params || !params.IsMap() || params.size() == 0)
    throw fail(params ? params : root, "parameters", "expected a map of field paths to lists of values");
  for (const auto& kv : params) {
    SweepParameter p;
    p.path = kv.first.as<std::string>();
    const std::string field = "parameters." + p.path;
    if (kv.second.IsSequence()) {
      for (const auto& v : kv.second) {
        if (!v.IsScalar()) throw fail(v, field, "expected plain values");
        p.values.push_back(v.as<std::string>());
      }
    } else if (kv.second.IsScalar()) {
      p.values.push_back(kv.second.as<std::string>());
    } else {
      throw fail(kv.second, field, "expected a list of values");
    }
    if (p.values.empty()) throw fail(kv.second, field, "expected at least one value");
    spec.parameters.push_back(std::move(p));
  }
  return spec;
}

std::vector<Scenario> sweep_scenarios(const SweepSpec& spec, const CareRunOptions& opt) {
  const fs::path base(spec.base_file);
  const Scenario base_scenario = load_scenario(spec.base_file);
  const std::string dir = base.parent_path().empty() ? "." : base.parent_path().string();
  std::vector<Scenario> out;
  const auto points = points_of(spec);
  for (std::size_t i = 0; i < points.size(); ++i) {
    Tree tree;
    std::string label;
    for (std::size_t k = 0; k < spec.parameters.size(); ++k) {
      set_path(tree, spec.parameters[k].path, points[i][k]);
      if (k) label += ", ";
      label += spec.parameters[k].path;
      label += '=';
      label += points[i][k];
    }
    std::ostringstream text;
    text << "careflow: 1\nname: " << quote(base_scenario.name + " [" + label + "]") << "\nextend: "
         << quote(base.filename().string()) << "\n";
    emit(text, tree, 0);
    const std::string origin = "sweep point " + std::to_string(i) + " (" + label + ")";
    out.push_back(apply_options(parse_scenario(text.str(), origin, dir), opt));  // errors name the point
  }
  return out;
}

SweepPlan plan_sweep(const SweepSpec& spec, const CareRunOptions& opt) {
  const std::vector<Scenario> scenarios = sweep_scenarios(spec, opt);
  SweepPlan plan;
  plan.spec = spec;
  plan.base_text = read_text(spec.base_file);
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
      if (load_task(journal, p, t % plan.replications, plan.key, plan.ids[p].size(), tasks[t])) ++done;
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
    const int threads = opt.threads > 0 ? static_cast<int>(opt.threads) : tbb::this_task_arena::max_concurrency();
    tbb::task_arena arena(threads);
    arena.execute([&] {
      tbb::parallel_for(std::size_t{0}, todo.size(), [&](std::size_t i) { finished(todo[i], run_sweep_task(plan, todo[i])); });
    });
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
