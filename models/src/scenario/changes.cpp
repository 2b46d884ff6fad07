// The path language of `careflow run/sweep --set`, sweep files and Python's with_changes:
// `services[early_help].capacity` names a field of the format (scenario_fields.hpp) in a
// scenario's merged tree. Strict by construction: a path is walked through the field table and the
// tree together, and one that names nothing the scenario has is refused with the nearest name.
#include <algorithm>
#include <cctype>
#include <optional>

#include "careflow/models/scenario_fields.hpp"
#include "careflow/models/transforms.hpp"
#include "scenario/scenario_tree.hpp"

namespace careflow::models {
namespace {

using namespace located;

constexpr std::size_t kMaxListedItems = 30;  // "(there are: a, b, ...)" lists at most this many names

/// One step of a path: `key` or `key[pick]`.
struct Step {
  std::string key;
  std::optional<std::string> pick;
};

/// Walks one path through the field table and a tree, refusing what names nothing.
class PathWalk {
 public:
  PathWalk(const std::string& path, const SourceRef& where) : path_(path), where_(where) { split(); }

  /// The node the path names, created (with the sections above it) when the table has the field
  /// and the scenario does not give it yet.
  Node& walk(Node& root) {
    Node* node = &root;
    std::string pattern;  // of `node` in the field table: "", "services[]", "services[].cost"
    std::string at;       // the path walked so far, as written
    for (std::size_t i = 0; i < steps_.size(); ++i) {
      const Step& step = steps_[i];
      const bool last = i + 1 == steps_.size();
      if (node->type != Node::Type::Map)
        refuse("'" + at + "' holds " + found(*node) + ", not fields; set it whole: " + at + "=VALUE");
      const std::string child = join(pattern, step.key);
      const ScenarioField* row = find_scenario_field(child);
      if (!row && pattern == "transforms[]") return parameter(*node, at, i);
      if (!row) unknown_field(pattern, at, step.key);
      if (row->type == FieldType::Version || row->type == FieldType::File)
        refuse("'" + step.key + "' is a field of the file, not of the scenario; it cannot be changed by a path");
      const std::string here = join(at, step.key);
      Entry* entry = node->find(step.key);
      const bool list = row->type == FieldType::NamedItems || row->type == FieldType::Items;
      if (step.pick && list) {
        node = &item(entry, *row, here, *step.pick);
        at = here + "[" + *step.pick + "]";
        pattern = child + "[]";
        if (last) {
          const std::vector<std::string> keys = scenario_field_keys(pattern);
          std::string example = at;
          example.append(".").append(keys.size() > 1 ? keys[1] : keys.front());
          refuse("the path names an item of '" + here + "', not a value; name one of its fields, e.g. " + example);
        }
        continue;
      }
      if (row->type == FieldType::NamedItems)
        refuse("'" + here + "' is a list of named items; name one and a field: " + here + "[NAME].FIELD");
      if (row->type == FieldType::Section && !step.pick) {
        if (last)
          refuse("'" + here + "' is a section, not a value; name one of its fields: " + list_words(scenario_field_keys(child)));
        if (!entry) entry = &add(*node, step.key, empty_node(Node::Type::Map, where_.file, where_.line));
        node = &entry->value;
        at = here;
        pattern = child;
        continue;
      }
      // A value (a whole list without names is one too).
      if (last && !step.pick) return entry ? entry->value : add(*node, step.key, Node{}).value;
      if (!entry) refuse("the scenario gives no '" + here + "' to change a part of; set it whole: " + here + "=VALUE");
      return existing(entry->value, here, i);
    }
    return *node;  // not reached: the loop returns or refuses at the last step
  }

 private:
  [[noreturn]] void refuse(const std::string& message, ScenarioProblem problem = ScenarioProblem::Value) const {
    throw ScenarioError(SourceRef{where_.file, where_.line, path_}, message, problem);
  }

  void split() {
    if (path_.empty()) refuse("expected a path such as services[early_help].capacity, found nothing");
    std::size_t pos = 0;
    while (pos <= path_.size()) {
      const std::size_t dot = path_.find('.', pos);
      const std::string seg = path_.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
      if (seg.empty()) refuse("empty segment in the path (write e.g. services[early_help].capacity)");
      Step step;
      const std::size_t open = seg.find('[');
      if (open == std::string::npos) {
        step.key = seg;
      } else {
        if (seg.back() != ']' || open == 0 || seg.find('[', open + 1) != std::string::npos)
          refuse("expected key[name] in '" + seg + "'");
        step.key = seg.substr(0, open);
        step.pick = seg.substr(open + 1, seg.size() - open - 2);
        if (step.pick->empty()) refuse("empty name in '" + seg + "'");
      }
      steps_.push_back(std::move(step));
      if (dot == std::string::npos) break;
      pos = dot + 1;
    }
  }

  static Entry& add(Node& map, const std::string& key, Node value) {
    const int line = value.line;
    map.entries.push_back(Entry{key, line, std::move(value)});
    return map.entries.back();
  }

  [[noreturn]] void unknown_field(const std::string& pattern, const std::string& at, const std::string& key) const {
    if (pattern.empty()) {
      const std::string_view section = misplaced_section(key);
      if (!section.empty()) {
        const bool items = find_scenario_field(section)->type != FieldType::Section;
        std::string written(section);
        written.append(items ? "[NAME]." : ".").append(key);
        refuse("no top-level field '" + key + "'; it belongs " + (items ? "to the items of '" : "under '") +
                   std::string(section) + "': " + written,
               ScenarioProblem::UnknownField);
      }
      refuse("no top-level field '" + key + "'" + suggestion(key, scenario_field_keys("")), ScenarioProblem::UnknownField);
    }
    refuse("no field '" + key + "' in '" + at + "'" + suggestion(key, scenario_field_keys(pattern)),
           ScenarioProblem::UnknownField);
  }

  /// The item `pick` of the list at `entry`: by name for named items, by position otherwise.
  Node& item(Entry* entry, const ScenarioField& row, const std::string& here, const std::string& pick) const {
    if (!entry || entry->value.type != Node::Type::Sequence || entry->value.items.empty())
      refuse("no item called '" + pick + "' in '" + here + "': the scenario has none", ScenarioProblem::UnknownName);
    std::vector<Node>& items = entry->value.items;
    if (row.type == FieldType::Items) {
      const bool digits = std::all_of(pick.begin(), pick.end(), [](unsigned char c) { return std::isdigit(c); });
      const std::size_t n = items.size();
      if (digits && pick.size() < 10 && std::stoul(pick) < n) return items[std::stoul(pick)];
      refuse("no item [" + pick + "] in '" + here + "'; it has " + std::to_string(n) + (n == 1 ? " item, [0]" : " items, [0] to [") +
                 (n == 1 ? "" : std::to_string(n - 1) + "]"),
             ScenarioProblem::UnknownName);
    }
    std::vector<std::string> names;
    for (Node& i : items) {
      const Node* name = i.type == Node::Type::Map ? i.get("name") : nullptr;
      if (!name || name->type != Node::Type::Scalar) continue;
      if (name->scalar == pick) return i;
      names.push_back(name->scalar);
    }
    std::string message = "no item called '" + pick + "' in '" + here + "'";
    if (const auto best = nearest(pick, names)) {
      message += "; did you mean '" + *best + "'?";
    } else {
      std::vector<std::string> shown(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(std::min(names.size(), kMaxListedItems)));
      if (names.size() > shown.size()) shown.push_back("…");
      message += " (there are: " + list_words(shown) + ")";
    }
    refuse(message, ScenarioProblem::UnknownName);
  }

  /// A parameter of a transform (transforms.hpp), steps[i] onwards.
  Node& parameter(Node& transform, const std::string& at, std::size_t i) const {
    const Node* name = transform.get("name");
    const TransformSchema* schema = name && name->type == Node::Type::Scalar ? find_transform(name->scalar) : nullptr;
    const std::string& key = steps_[i].key;
    std::vector<std::string> keys{"name"};
    if (schema)
      for (const ParamSchema& p : schema->params) keys.push_back(p.key);
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      refuse("no parameter '" + key + "' of " + (name ? name->scalar : std::string("this transform")) + suggestion(key, keys),
             ScenarioProblem::UnknownField);
    Entry* entry = transform.find(key);
    const std::string here = join(at, key);
    if (i + 1 == steps_.size() && !steps_[i].pick) return entry ? entry->value : add(transform, key, Node{}).value;
    if (!entry) refuse("the scenario gives no '" + here + "' to change a part of; set it whole: " + here + "=VALUE");
    return existing(entry->value, here, i);
  }

  /// Below a value the table does not detail (a distribution, a map of shares, a list): the path
  /// must name what the scenario holds there. `node` is the value of steps_[i].key.
  Node& existing(Node& node, std::string at, std::size_t i) const {
    Node* n = &node;
    for (std::size_t k = i;; ++k) {
      const Step& step = steps_[k];
      if (k > i) {
        if (n->type != Node::Type::Map) refuse("'" + at + "' holds " + found(*n) + "; set it whole: " + at + "=VALUE");
        Entry* e = n->find(step.key);
        if (!e) {
          std::vector<std::string> keys;
          for (const Entry& x : n->entries) keys.push_back(x.key);
          const auto best = nearest(step.key, keys);
          refuse("no field '" + step.key + "' in '" + at + "', which holds " + found(*n) +
                     (best ? "; did you mean '" + *best + "'?" : "") + " (set it whole to change what it holds: " + at + "=VALUE)",
                 ScenarioProblem::UnknownField);
        }
        n = &e->value;
        at = join(at, step.key);
      }
      if (step.pick) {
        const std::string& pick = *step.pick;
        const bool digits = std::all_of(pick.begin(), pick.end(), [](unsigned char c) { return std::isdigit(c); });
        if (n->type != Node::Type::Sequence || !digits || pick.size() >= 10 || std::stoul(pick) >= n->items.size())
          refuse("no item [" + pick + "] in '" + at + "', which holds " + found(*n), ScenarioProblem::UnknownName);
        n = &n->items[std::stoul(pick)];
        at += "[" + pick + "]";
      }
      if (k + 1 == steps_.size()) return *n;
    }
  }

  std::string path_;
  SourceRef where_;
  std::vector<Step> steps_;
};

}  // namespace

void apply_change(Node& root, const FieldChange& change) {
  Node& target = PathWalk(change.path, change.where).walk(root);
  const SourceRef& w = change.where;
  Node value = change.text ? text_node(change.value, w.file, w.line) : parse_value(change.value, w.file, w.line, change.path);
  target = std::move(value);
}

void check_change_path(const Node& root, const std::string& path, const SourceRef& where) {
  Node copy = root;
  PathWalk(path, where).walk(copy);
}

}  // namespace careflow::models
