// Located YAML: a YAML tree that remembers, for every value, the file and line it came from, and
// what careflow does with such trees. The scenario loader, sweeps and the scenario workbook reader
// build them; `extend:` merges them; the path language (`services[x].capacity`) edits them; the
// typed readers turn them into values with errors that name file, line and field, and suggest the
// nearest valid name for a typo.
//
// Internal to careflow's libraries (models, and sheets through careflow::models_internal): not an
// installed header. yaml-cpp stays behind it, in located_yaml.cpp.
#pragma once

#include <cstddef>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "careflow/models/scenario.hpp"
#include "careflow/models/vocabulary.hpp"

namespace careflow::models::located {

struct Entry;

/// A YAML value and where it was written. Maps keep their keys in file order.
struct Node {
  enum class Type { Null, Scalar, Sequence, Map };
  Type type = Type::Null;
  std::string scalar;
  bool quoted = false;  // written in quotes: re-emitted the same way, so "1" stays text
  std::vector<Node> items;     // Sequence
  std::vector<Entry> entries;  // Map, in file order
  std::string file;
  int line = 0;  // 1-based; 0 where there is no line (a value given on the command line)

  const Entry* find(std::string_view key) const;
  Entry* find(std::string_view key);
  const Node* get(std::string_view key) const;
};

struct Entry {
  std::string key;
  int key_line = 0;  // the key's file is value.file (merging moves key and value together)
  Node value;
};

/// A plain or quoted scalar at file:line.
Node scalar_node(std::string text, const std::string& file, int line, bool quoted = false);
/// Text that reads back as the same text: quoted only where a plain scalar would read as
/// something else (a number, true, null, [a, b], a key: value).
Node text_node(std::string text, const std::string& file, int line);
/// An empty value, map or list at file:line.
Node empty_node(Node::Type type, const std::string& file, int line);

// ---- errors ------------------------------------------------------------------------------

[[noreturn]] void fail(const std::string& file, int line, const std::string& field, const std::string& message,
                       ScenarioProblem problem = ScenarioProblem::Value);
[[noreturn]] void fail(const Node& n, const std::string& field, const std::string& message,
                       ScenarioProblem problem = ScenarioProblem::Value);

/// Field paths of messages: join("services[x]", "capacity"), at_index("routes", 0), at_name("services", "x").
std::string join(const std::string& path, std::string_view key);
std::string at_index(const std::string& path, std::size_t i);
std::string at_name(const std::string& path, const std::string& name);

/// A number as written in messages (up to 10 significant digits).
std::string format_number(double v);
/// "a, b, c".
std::string list_words(const std::vector<std::string>& words);

/// The candidate nearest to `word`, if it is close enough to be a plausible typo.
std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates);
/// "; did you mean 'x'?" or "; expected one of: a, b, c" (short lists only), or "".
std::string suggestion(std::string_view word, const std::vector<std::string>& candidates);

// ---- reading text ------------------------------------------------------------------------

/// A file's bytes; refuses a missing, unreadable or over-large file, or a directory, blaming `blame`.
std::string read_file(const std::filesystem::path& path, const SourceRef& blame);
/// Length of a UTF-8 byte-order mark at the start of `text` (0 or 3).
std::size_t bom_length(std::string_view text);
/// The field being written on `line` of raw YAML text, found from indentation alone (where there
/// is no tree to ask: a YAML syntax error, a byte that is not UTF-8).
std::string field_at_line(std::string_view text, int line);
/// YAML text → tree. Refuses text that is not UTF-8, holds control characters, has a syntax
/// error, repeats a key in a map, nests too deep or expands (aliases) to too many values. An
/// empty document (blank, or only comments) gives a Null node.
Node parse(const std::string& text, const std::string& file);
/// One value written on its own ("1500", "[a, b]", "{exponential: {mean: 3}}"): every node of it
/// carries file:line, and problems name `field`.
Node parse_value(const std::string& text, const std::string& file, int line, const std::string& field);

// ---- writing -----------------------------------------------------------------------------

/// The tree as YAML text, block style with small maps and lists on one line, after an optional
/// comment line.
std::string emit_text(const Node& root, const std::string& comment = "");
/// The value on one line, in flow style ({lognormal: {mean: 90, sd: 60}}).
std::string flow_text(const Node& n);
/// The value for a message: "'ten'", "the list [1, 2]", "the map {a: 1}", "nothing".
std::string found(const Node& n);

// ---- merging (`extend:`) -----------------------------------------------------------------

/// True for a list whose items are all maps with a scalar `name` (merged by name).
bool is_named_list(const Node& n);
/// Whether the map under `key` is replaced whole rather than merged key by key.
using ReplacedWhole = bool (*)(std::string_view key, const Node& base, const Node& over);
/// `over` applied on top of `base`: maps merge deeply, named lists by name, the rest is replaced.
Node merge(Node base, const Node& over, std::string_view key, ReplacedWhole replaced_whole);

// ---- typed reading -----------------------------------------------------------------------

std::optional<double> parse_double(std::string_view s);
double number(const Node& n, const std::string& field);
double positive(const Node& n, const std::string& field);
double non_negative(const Node& n, const std::string& field);
double probability(const Node& n, const std::string& field);
double in_range(const Node& n, const std::string& field, double lo, double hi, const std::string& expected);
std::uint64_t whole(const Node& n, const std::string& field, std::uint64_t lo, std::uint64_t hi);
bool boolean(const Node& n, const std::string& field);
std::string text(const Node& n, const std::string& field);
std::string name_text(const Node& n, const std::string& field);
const Node& sequence(const Node& n, const std::string& field, const std::string& of);
std::vector<double> numbers(const Node& n, const std::string& field, const std::string& of);

/// One of a fixed set of words.
template <class T>
T choice(const Node& n, const std::string& field, const std::vector<std::pair<std::string, T>>& options) {
  std::vector<std::string> words;
  for (const auto& option : options) words.push_back(option.first);
  if (n.type == Node::Type::Scalar) {
    for (const auto& [word, value] : options)
      if (word == n.scalar) return value;
    if (auto best = nearest(n.scalar, words))
      fail(n, field, "expected one of " + list_words(words) + "; found " + found(n) + "; did you mean '" + *best + "'?");
  }
  fail(n, field, "expected one of " + list_words(words) + "; found " + found(n));
}

/// One of a vocabulary's names (vocabulary.hpp).
template <class T>
T choice(const Node& n, const std::string& field) {
  std::vector<std::pair<std::string, T>> options;
  for (const auto& t : terms<T>()) options.emplace_back(std::string(t.name), t.value);
  return choice<T>(n, field, options);
}

/// A map whose keys are checked against the allowed fields as soon as it is opened, so a
/// misspelt key is reported (with the nearest valid one) rather than silently ignored.
class Fields {
 public:
  Fields(const Node& n, std::string path, std::vector<std::string> allowed, const std::string& what = "a map of fields");
  Fields(const Node& n, std::string path, std::initializer_list<std::string_view> allowed,
         const std::string& what = "a map of fields");

  const Node* get(std::string_view key) const { return node_.get(key); }
  /// The value of a required field; its absence is an error naming the field.
  const Node& need(std::string_view key, const std::string& hint = "") const;
  std::string field(std::string_view key) const { return join(path_, key); }
  const std::string& path() const { return path_; }
  const Node& node() const { return node_; }

 private:
  void check(const std::string& what) const;
  const Node& node_;
  std::string path_;
  std::vector<std::string> allowed_;
};

}  // namespace careflow::models::located
