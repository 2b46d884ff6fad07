// YAML scenario files → Scenario.
//
// Each file is read into a located YAML tree (scenario/located_yaml.hpp) that records, for every
// value, the file and line it came from. `extend:` merging happens on that tree, so an error in a
// merged scenario still names the file and line where the offending value was written. The tree
// is then read field by field into a Scenario (scenario/builder.cpp), refusing anything unknown,
// mistyped or out of range with a ScenarioError naming file, line and field.
#include "careflow/models/scenario_loader.hpp"

#include "careflow/models/scenario_fields.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "scenario/builder.hpp"
#include "scenario/distribution_reader.hpp"
#include "scenario/located_yaml.hpp"
#include "scenario/scenario_tree.hpp"

namespace careflow::models {
namespace {

namespace fs = std::filesystem;
using namespace located;

constexpr std::size_t kMaxExtendDepth = 32;  // bases of bases of ...: a chain this long is a mistake

/// Maps that mean one thing as a whole: merging them key by key would mix two distributions
/// or two sets of shares or probabilities that each summed to 1. An override replaces them.
bool replaced_whole(std::string_view key, const Node& base, const Node& over) {
  for (const ScenarioField& f : kScenarioFields)
    if (field_key(f.path) == key && (f.type == FieldType::Distribution || f.type == FieldType::NeedShares ||
                                     f.type == FieldType::ServiceProbabilities))
      return true;
  return is_distribution(base) || is_distribution(over);
}

// ---------------------------------------------------------------------------------------
// Files, versions and `extend:`.

struct Chain {
  std::vector<fs::path> identities;  // canonical paths of the files being read, outermost first
  std::vector<std::string> names;    // as shown in messages
  std::vector<std::string>* bases = nullptr;  // where asked: every base file read, as opened
};

fs::path identity_of(const fs::path& p) {
  std::error_code ec;
  fs::path id = fs::weakly_canonical(p, ec);
  return ec ? fs::absolute(p).lexically_normal() : id;
}

/// A quote left open swallows the lines after it into one text, and the real error is then
/// far away ("missing required field 'services'"). A quoted text holding "services: ..." is
/// that mistake: say so, at the line where the quote opened.
void check_runaway_quotes(const Node& n, const std::string& path) {
  if (n.type == Node::Type::Scalar && n.quoted) {
    for (const ScenarioField& field : kScenarioFields) {
      const std::string_view key = field.path;
      // Top-level sections only; the words of texts ("name:") can be ordinary text.
      if (key.find_first_of(".[") != std::string_view::npos || field.type == FieldType::Text ||
          field.type == FieldType::Version)
        continue;
      // " run: {" or " agencies: - {": a section's value, which ordinary text does not hold.
      std::string written = " ";  // built step by step: gcc 12 warns falsely on " " + std::string
      written.append(key).append(":");
      bool swallowed = n.scalar.ends_with(written);
      for (const char* next : {" {", " [", " -"})
        swallowed = swallowed || n.scalar.find(written + next) != std::string::npos;
      if (swallowed)
        fail(n, path,
             "this quoted text runs on over the following lines and swallows '" + std::string(key) +
                 ":'; is a closing quote missing? Found " + found(n));
    }
  }
  for (std::size_t i = 0; i < n.items.size(); ++i) check_runaway_quotes(n.items[i], at_index(path, i));
  for (const Entry& e : n.entries) check_runaway_quotes(e.value, join(path, e.key));
}

void check_version(const Node& root) {
  const Entry* v = root.find("careflow");
  if (!v)
    fail(root.file, root.line, "careflow",
         "missing required field 'careflow' (the format version); start the file with 'careflow: " +
             std::to_string(kScenarioFormatVersion) + "'",
         ScenarioProblem::MissingField);
  const Node& n = v->value;
  const auto parsed = n.type == Node::Type::Scalar ? parse_double(n.scalar) : std::nullopt;
  if (!parsed || *parsed != std::floor(*parsed))
    fail(n, "careflow", "expected the format version, a whole number such as 1; found " + found(n));
  if (*parsed != kScenarioFormatVersion)
    fail(n, "careflow",
         "unsupported format version " + n.scalar + "; this careflow reads version " +
             std::to_string(kScenarioFormatVersion));
}

Node load_tree(const std::string& text, const std::string& file, const fs::path& dir, Chain& chain) {
  Node root = parse(text, file);
  if (root.type == Node::Type::Null)
    fail(file, 1, "careflow",
         std::string(text.find_first_not_of(" \t\r\n", bom_length(text)) == std::string::npos ? "the file is empty"
                                                                                               : "the file holds only comments") +
             "; expected a scenario starting with 'careflow: " + std::to_string(kScenarioFormatVersion) + "'",
         ScenarioProblem::MissingField);
  check_scenario_tree(root);

  const auto ext = std::find_if(root.entries.begin(), root.entries.end(), [](const Entry& e) { return e.key == "extend"; });
  if (ext == root.entries.end()) return root;
  const Node& target = ext->value;
  const std::string relative = name_text(target, "extend");
  const fs::path path = (dir / relative).lexically_normal();
  const fs::path id = identity_of(path);
  const std::string shown = path.string();
  const auto seen = std::find(chain.identities.begin(), chain.identities.end(), id);
  if (seen != chain.identities.end()) {
    std::string cycle;
    for (auto i = static_cast<std::size_t>(seen - chain.identities.begin()); i < chain.names.size(); ++i)
      cycle += chain.names[i] + " -> ";
    fail(target, "extend", "'extend' makes a cycle: " + cycle + shown + "; a scenario cannot extend itself");
  }
  if (chain.identities.size() > kMaxExtendDepth)
    fail(target, "extend",
         "'extend' goes " + std::to_string(chain.identities.size()) + " files deep; at most " +
             std::to_string(kMaxExtendDepth) + " bases are followed");
  const std::string base_text = read_file(path, SourceRef{target.file, target.line, "extend"});
  if (chain.bases) chain.bases->push_back(shown);
  chain.identities.push_back(id);
  chain.names.push_back(shown);
  Node base = load_tree(base_text, shown, path.parent_path(), chain);
  chain.identities.pop_back();
  chain.names.pop_back();
  root.entries.erase(ext);
  return merge(std::move(base), root, "", replaced_whole);
}

void collect_files(const Node& n, std::vector<std::string>& files) {
  if (std::find(files.begin(), files.end(), n.file) == files.end()) files.push_back(n.file);
  for (const Node& i : n.items) collect_files(i, files);
  for (const Entry& e : n.entries) collect_files(e.value, files);
}

}  // namespace

void check_scenario_tree(const Node& root) {
  if (root.type != Node::Type::Map)
    fail(root, "", "expected a scenario: a map of fields starting with 'careflow: 1'; found " + found(root), ScenarioProblem::Text);
  check_runaway_quotes(root, "");
  check_version(root);
}

Node load_scenario_tree(const std::string& text, const std::string& file_name, const std::string& base_dir,
                        std::vector<std::string>* bases) {
  Chain chain;
  chain.bases = bases;
  const fs::path dir = base_dir.empty() ? fs::path(".") : fs::path(base_dir);
  chain.identities.push_back(identity_of(dir / fs::path(file_name).filename()));
  chain.names.push_back(file_name);
  return load_tree(text, file_name, dir, chain);
}

void apply_changes(Node& root, const std::vector<FieldChange>& changes, bool name_after_changes) {
  for (const FieldChange& c : changes) apply_change(root, c);
  const bool renamed = std::any_of(changes.begin(), changes.end(), [](const FieldChange& c) { return c.path == "name"; });
  if (name_after_changes && !changes.empty() && !renamed)
    if (Entry* name = root.find("name"); name && name->value.type == Node::Type::Scalar)
      name->value = scalar_node(name->value.scalar + " [" + describe_changes(changes) + "]", name->value.file,
                                name->value.line, true);
}

Scenario scenario_from_tree(Node root, const std::string& file_name, const std::vector<FieldChange>& changes,
                            bool name_after_changes) {
  apply_changes(root, changes, name_after_changes);
  Scenario s = build_scenario(root);
  std::vector<std::string> files;
  collect_files(root, files);
  std::string merged;
  if (files.size() > 1) {
    merged = "merged from";
    for (const auto& f : files) merged += " " + f;
  }
  s.source_text = emit_text(root, merged);
  s.source_file = file_name;
  validate_scenario(s);  // pathway checks; warnings are the caller's to ask for
  return s;
}

Scenario parse_scenario(const std::string& yaml_text, const std::string& file_name, const std::string& base_dir) {
  std::vector<std::string> bases;
  Scenario s = scenario_from_tree(load_scenario_tree(yaml_text, file_name, base_dir, &bases), file_name);
  s.base_files = std::move(bases);
  return s;
}

Scenario parse_scenario(const ScenarioSource& source) {
  std::vector<std::string> bases;
  Scenario s = scenario_from_tree(load_scenario_tree(source.text, source.file_name, source.base_dir, &bases),
                                  source.file_name, source.changes, source.name_after_changes);
  s.base_files = std::move(bases);
  return s;
}

ScenarioSource read_scenario_source(const std::string& path) {
  ScenarioSource source;
  source.text = read_file(path, SourceRef{path, 0, ""});
  source.file_name = path;
  fs::path dir = fs::path(path).parent_path();
  source.base_dir = dir.empty() ? "." : dir.string();
  return source;
}

Scenario load_scenario(const std::string& path) { return parse_scenario(read_scenario_source(path)); }

std::string describe_changes(const std::vector<FieldChange>& changes) {
  std::string label;
  for (const FieldChange& c : changes) {
    if (!label.empty()) label += ", ";
    label += c.path;
    label += '=';
    label += c.value;
  }
  return label;
}

TransformSpec parse_transform(const std::string& words, const Scenario& s, const std::string& origin) {
  // "name key=value key=a,b" -> the same tree a scenario file would give.
  Node item = empty_node(Node::Type::Map, origin, 0);
  std::istringstream in(words);
  std::string token;
  while (in >> token) {
    if (item.entries.empty()) {
      item.entries.push_back(Entry{"name", 0, scalar_node(token, origin, 0)});
      continue;
    }
    const auto eq = token.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ScenarioError(SourceRef{origin, 0, "transform"}, "expected key=value after the transform name, found '" + token + "'");
    Entry e{token.substr(0, eq), 0, {}};
    const std::string value = token.substr(eq + 1);
    if (value.find(',') != std::string::npos) {
      e.value = empty_node(Node::Type::Sequence, origin, 0);
      std::istringstream parts(value);
      std::string part;
      while (std::getline(parts, part, ',')) e.value.items.push_back(scalar_node(part, origin, 0));
    } else {
      e.value = scalar_node(value, origin, 0);
    }
    item.entries.push_back(std::move(e));
  }
  if (item.entries.empty()) throw ScenarioError(SourceRef{origin, 0, "transform"}, "expected a transform name, found nothing");
  return read_transform(item, "transforms[0]", s);
}

}  // namespace careflow::models
