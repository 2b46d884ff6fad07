// YAML scenario files → Scenario.
//
// yaml-cpp parses each file; we copy its nodes into a small tree of our own that records,
// for every node, the file and line it came from. `extend:` merging happens on that tree, so
// an error in a merged scenario still names the file and line where the offending value was
// written. The tree is then read field by field into a Scenario, refusing anything unknown,
// mistyped or out of range with a ScenarioError naming file, line and field.
#include "careflow/models/scenario_loader.hpp"

#include "careflow/models/transforms.hpp"

#include <yaml-cpp/depthguard.h>  // YAML::DeepRecursion
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace careflow::models {
namespace {

namespace fs = std::filesystem;

constexpr double kDaysPerWeek = 7.0;
constexpr double kDaysPerYear = 365.25;
constexpr double kDaysPerMonth = kDaysPerYear / 12.0;  // 30.4375
constexpr double kMaxPopulation = 1e8;                  // per cohort: more than England
constexpr double kMaxHorizonYears = 200;
constexpr double kMaxAge = 130;
constexpr double kProbabilityTolerance = 1e-6;
constexpr std::uint32_t kMaxPlaces = 10'000'000;
constexpr std::uintmax_t kMaxFileBytes = 64u << 20;  // a scenario is text, never this big
constexpr std::size_t kMaxSuggestedLength = 64;     // longest name we look for typos in
constexpr std::size_t kMaxExtendDepth = 32;         // bases of bases of ...: a chain this long is a mistake

// ---------------------------------------------------------------------------------------
// A YAML tree that remembers where each node came from.

struct Entry;

struct Node {
  enum class Type { Null, Scalar, Sequence, Map };
  Type type = Type::Null;
  std::string scalar;
  bool quoted = false;  // written in quotes: re-emitted the same way, so "1" stays text
  std::vector<Node> items;     // Sequence
  std::vector<Entry> entries;  // Map, in file order
  std::string file;
  int line = 0;  // 1-based

  const Entry* find(std::string_view key) const;
  Entry* find(std::string_view key);
  const Node* get(std::string_view key) const;
};

struct Entry {
  std::string key;
  int key_line = 0;  // the key's file is value.file (merging moves key and value together)
  Node value;
};

const Entry* Node::find(std::string_view key) const {
  for (const Entry& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}
Entry* Node::find(std::string_view key) {
  for (Entry& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}
const Node* Node::get(std::string_view key) const {
  const Entry* e = find(key);
  return e ? &e->value : nullptr;
}

[[noreturn]] void fail(const std::string& file, int line, const std::string& field, const std::string& message) {
  throw ScenarioError(SourceRef{file, line, field}, message);
}
[[noreturn]] void fail(const Node& n, const std::string& field, const std::string& message) {
  fail(n.file, n.line, field, message);
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string at_index(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }
std::string at_name(const std::string& path, const std::string& name) { return path + "[" + name + "]"; }

std::string format_number(double v) {
  std::ostringstream o;
  o << std::setprecision(10) << v;
  return o.str();
}

std::string list_words(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) out += (i ? ", " : "") + words[i];
  return out;
}

// ---------------------------------------------------------------------------------------
// Suggestions for misspelt names: optimal string alignment distance (adjacent transposition
// counts as one edit, so "capcaity" is one step from "capacity").

std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const auto ca = std::tolower(static_cast<unsigned char>(a[i - 1]));
      const auto cb = std::tolower(static_cast<unsigned char>(b[j - 1]));
      const std::size_t cost = ca == cb ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && ca == std::tolower(static_cast<unsigned char>(b[j - 2])) &&
          std::tolower(static_cast<unsigned char>(a[i - 2])) == cb)
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

/// The nearest candidate, if it is close enough to be a plausible typo.
std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates) {
  // Names are short; a long "word" is pasted text, not a typo (and would cost |a|·|b| here).
  if (word.size() > kMaxSuggestedLength) return std::nullopt;
  const std::size_t limit = word.size() <= 4 ? 1 : word.size() <= 8 ? 2 : 3;
  std::optional<std::string> best;
  std::size_t best_d = limit + 1;
  for (const std::string& c : candidates) {
    if (c.size() > kMaxSuggestedLength) continue;
    const std::size_t dist = edit_distance(word, c);
    // Half the letters changed is a different word, not a typo ('x' is not a slip for 'c').
    if (2 * dist >= std::max(word.size(), c.size())) continue;
    if (dist < best_d) {
      best_d = dist;
      best = c;
    }
  }
  return best;
}

/// "; did you mean 'x'?" or "; expected one of: a, b, c" (short lists only).
std::string suggestion(std::string_view word, const std::vector<std::string>& candidates) {
  if (auto best = nearest(word, candidates)) return "; did you mean '" + *best + "'?";
  if (candidates.empty()) return "";
  if (candidates.size() <= 16) return "; expected one of: " + list_words(candidates);
  return "";
}

// ---------------------------------------------------------------------------------------
// Reading files and checking bytes.

std::string read_file(const fs::path& path, const SourceRef& blame) {
  auto refuse = [&](const std::string& message) { throw ScenarioError(blame, message); };
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) refuse("cannot read '" + path.string() + "': no such file");
  if (fs::is_directory(status)) refuse("'" + path.string() + "' is a directory, not a scenario file");
  if (!fs::is_regular_file(status)) refuse("'" + path.string() + "' is not a regular file");
  const auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxFileBytes)
    refuse("'" + path.string() + "' is " + std::to_string(size) + " bytes; a scenario file is at most " +
           std::to_string(kMaxFileBytes) + " bytes");
  std::ifstream in(path, std::ios::binary);
  if (!in) refuse("cannot read '" + path.string() + "': " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) refuse("cannot read '" + path.string() + "': " + std::strerror(errno));
  return buffer.str();
}

/// The field being written on `line` of raw YAML text, e.g. "services[front_door].capacity",
/// found from indentation alone. Used where there is no tree to ask (a YAML syntax error, a
/// byte that is not UTF-8): block-style files, which is how scenarios are written, give the
/// exact path; flow style gives the enclosing field. Empty when no field precedes the line.
std::string field_at_line(std::string_view text, int line) {
  struct Level {
    std::size_t indent;
    std::string key;
  };
  std::vector<Level> stack;
  int number = 0;
  std::size_t pos = 0;
  while (pos <= text.size() && number < line) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    std::string_view l = text.substr(pos, end - pos);
    pos = end + 1;
    ++number;
    std::size_t indent = 0;
    while (indent < l.size() && (l[indent] == ' ' || l[indent] == '\t')) ++indent;  // a tab: a mistake, still indent
    bool item = false;
    while (indent + 1 < l.size() && l[indent] == '-' && l[indent + 1] == ' ') {  // "- key: ...", "- - ..."
      item = true;
      indent += 2;
      while (indent < l.size() && l[indent] == ' ') ++indent;
    }
    std::size_t k = indent;
    while (k < l.size() && (std::isalnum(static_cast<unsigned char>(l[k])) || l[k] == '_')) ++k;
    if (k == indent || k >= l.size() || l[k] != ':' || (k + 1 < l.size() && l[k + 1] != ' ' && l[k + 1] != '\r')) {
      // Not "key:" (blank, comment, scalar item, continuation). On the line asked about, what
      // is written there belongs to the fields indented less than it.
      if (number == line && indent < l.size() && l[indent] != '#')
        while (!stack.empty() && stack.back().indent >= indent) stack.pop_back();
      continue;
    }
    std::string key(l.substr(indent, k - indent));
    while (!stack.empty() && stack.back().indent >= indent) stack.pop_back();
    if (item && key == "name" && !stack.empty()) {  // "- name: x" names the list item
      std::string_view v = l.substr(k + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '"' || v.front() == '\'')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\r' || v.back() == '"' || v.back() == '\'')) v.remove_suffix(1);
      if (!v.empty() && v.size() <= kMaxSuggestedLength && v.find_first_of("{}[]#:") == std::string_view::npos) {
        Level& list = stack.back();
        if (const auto b = list.key.find('['); b != std::string::npos) list.key.erase(b);
        list.key += "[" + std::string(v) + "]";
      }
    } else if (item && !stack.empty()) {
      if (const auto b = stack.back().key.find('['); b != std::string::npos) stack.back().key.erase(b);
    }
    stack.push_back(Level{indent, std::move(key)});
  }
  std::string path;
  for (const Level& level : stack) path += (path.empty() ? "" : ".") + level.key;
  return path;
}

std::string hex_byte(unsigned char c) {
  static const char* digits = "0123456789ABCDEF";
  return std::string("0x") + digits[c >> 4] + digits[c & 15];
}

/// Refuses text that is not UTF-8 or holds control characters (a binary file, a wrong
/// encoding) before yaml-cpp sees it, naming the line. Returns the offset past a BOM.
std::size_t check_text(const std::string& text, const std::string& file) {
  if (text.size() >= 2 && ((static_cast<unsigned char>(text[0]) == 0xFF && static_cast<unsigned char>(text[1]) == 0xFE) ||
                           (static_cast<unsigned char>(text[0]) == 0xFE && static_cast<unsigned char>(text[1]) == 0xFF)))
    fail(file, 1, "", "the file is UTF-16 text (it starts with a UTF-16 byte-order mark); save scenarios as UTF-8");
  std::size_t start = 0;
  if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF && static_cast<unsigned char>(text[1]) == 0xBB &&
      static_cast<unsigned char>(text[2]) == 0xBF)
    start = 3;
  int line = 1;
  std::size_t line_start = start;
  const std::size_t n = text.size();
  for (std::size_t i = start; i < n;) {
    const auto c = static_cast<unsigned char>(text[i]);
    const auto column = [&] { return std::to_string(i - line_start + 1); };
    if (c < 0x80) {
      if (c == '\n') {
        ++line;
        line_start = i + 1;
      } else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7F) {
        fail(file, line, field_at_line(text, line),
             "unexpected control character " + hex_byte(c) + " at column " + column() +
                 "; is this a binary file? A scenario is UTF-8 text");
      }
      ++i;
      continue;
    }
    // Length and the allowed range of the second byte (excludes overlongs and surrogates).
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) len = 3;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c >= 0xEE && c <= 0xEF) len = 3;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    bool ok = len != 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    }
    if (!ok)
      fail(file, line, field_at_line(text, line),
           "not valid UTF-8: byte " + hex_byte(c) + " at column " + column() +
               "; is this a binary file, or saved in another encoding? Save scenarios as UTF-8");
    i += len;
  }
  return start;
}

// ---------------------------------------------------------------------------------------
// yaml-cpp → our tree.

/// Values read from one file so far. YAML aliases (*name) repeat what they refer to, and
/// copying them into our tree multiplies: nine aliases of nine aliases ... of a list is a
/// 200-byte file that expands to a billion values ("billion laughs"). A scenario has a few
/// thousand values; past kMaxNodes the file is refused instead of exhausting memory.
struct NodeBudget {
  std::size_t used = 0;
  int depth = 0;  // of the value being converted
};
constexpr std::size_t kMaxNodes = 200'000;
// A scenario nests a few levels (services > routes > when > need_levels); an alias that refers
// to itself (`&a [*a]`) makes a cycle that would otherwise recurse until the stack overflows.
constexpr int kMaxDepth = 64;

Node convert(const YAML::Node& y, const std::string& file, int fallback_line, const std::string& path,
             NodeBudget& budget) {
  struct Deeper {
    int& depth;
    explicit Deeper(int& d) : depth(++d) {}
    ~Deeper() { --depth; }
  } deeper(budget.depth);
  if (budget.depth > kMaxDepth)
    fail(file, y.Mark().line >= 0 ? y.Mark().line + 1 : fallback_line,
         path.size() > 48 ? path.substr(0, 48) + "..." : path,
         "values nest more than " + std::to_string(kMaxDepth) +
             " levels deep (an alias such as *name inside the value it names repeats it forever); "
             "a scenario nests a few levels");
  if (++budget.used > kMaxNodes)
    fail(file, y.Mark().line >= 0 ? y.Mark().line + 1 : fallback_line, path,
         "the file expands to more than " + std::to_string(kMaxNodes) +
             " values (YAML aliases such as *name repeat what they refer to, and aliases of aliases multiply); "
             "a scenario is far smaller");
  Node n;
  n.file = file;
  n.line = y.Mark().line >= 0 ? y.Mark().line + 1 : fallback_line;
  switch (y.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      // yaml-cpp marks an empty value at the next token; the key's line is where it is.
      n.line = fallback_line;
      break;
    case YAML::NodeType::Scalar:
      n.type = Node::Type::Scalar;
      n.scalar = y.Scalar();
      n.quoted = y.Tag() == "!";
      break;
    case YAML::NodeType::Sequence: {
      n.type = Node::Type::Sequence;
      std::size_t i = 0;
      for (const YAML::Node& item : y) {
        n.items.push_back(convert(item, file, n.line, at_index(path, i), budget));
        ++i;
      }
      break;
    }
    case YAML::NodeType::Map:
      n.type = Node::Type::Map;
      for (const auto& kv : y) {
        const int key_line = kv.first.Mark().line >= 0 ? kv.first.Mark().line + 1 : n.line;
        if (!kv.first.IsScalar()) fail(file, key_line, path, "a field name must be plain text, found a list or map");
        const std::string key = kv.first.Scalar();
        if (const Entry* prev = n.find(key))
          fail(file, key_line, join(path, key),
               "field '" + key + "' appears twice in the same map (first on line " + std::to_string(prev->key_line) +
                   "); keep one");
        n.entries.push_back(Entry{key, key_line, convert(kv.second, file, key_line, join(path, key), budget)});
      }
      break;
  }
  return n;
}

// ---------------------------------------------------------------------------------------
// Our tree → YAML text (Scenario::source_text), and a short flow rendering for messages.

/// Small maps and lists of scalars (a few scalars, nesting at most 3 deep) are written on one line,
/// as people write them ({exponential: {mean: 3}}); anything larger stays in block style.
/// Returns the number of scalars, or -1 when the node is too big or deep for one line.
int compact_size(const Node& n, int depth = 0) {
  constexpr int kMaxScalars = 6;
  if (n.type == Node::Type::Null || n.type == Node::Type::Scalar) return 1;
  if (depth >= 3) return -1;
  if (n.type == Node::Type::Sequence && std::any_of(n.items.begin(), n.items.end(), [](const Node& i) {
        return i.type == Node::Type::Map || i.type == Node::Type::Sequence;
      }))
    return -1;  // a list of items reads best one item per line
  int total = 0;
  auto add = [&](const Node& child) {
    const int k = compact_size(child, depth + 1);
    total = (k < 0 || total < 0) ? -1 : total + k;
  };
  for (const Node& i : n.items) add(i);
  for (const Entry& e : n.entries) add(e.value);
  return total <= kMaxScalars ? total : -1;
}

void emit(YAML::Emitter& out, const Node& n, bool flow = false) {
  if (!flow && n.type != Node::Type::Scalar && n.type != Node::Type::Null && compact_size(n) >= 0) {
    out << YAML::Flow;
    flow = true;
  }
  switch (n.type) {
    case Node::Type::Null: out << YAML::Null; break;
    case Node::Type::Scalar:
      if (n.quoted) out << YAML::DoubleQuoted << n.scalar;
      else out << n.scalar;
      break;
    case Node::Type::Sequence:
      out << YAML::BeginSeq;
      for (const Node& item : n.items) emit(out, item, flow);
      out << YAML::EndSeq;
      break;
    case Node::Type::Map:
      out << YAML::BeginMap;
      for (const Entry& e : n.entries) {
        out << YAML::Key << e.key << YAML::Value;
        emit(out, e.value, flow);
      }
      out << YAML::EndMap;
      break;
  }
}

std::string found(const Node& n) {
  switch (n.type) {
    case Node::Type::Null: return "nothing";
    case Node::Type::Scalar: {
      std::string s = n.scalar.size() > 60 ? n.scalar.substr(0, 57) + "..." : n.scalar;
      return "'" + s + "'";
    }
    case Node::Type::Sequence:
    case Node::Type::Map: {
      YAML::Emitter out;
      out << YAML::Flow;
      emit(out, n, true);
      std::string s = out.c_str();
      if (s.size() > 80) s = s.substr(0, 77) + "...";
      return (n.type == Node::Type::Map ? "the map " : "the list ") + s;
    }
  }
  return "?";
}

// ---------------------------------------------------------------------------------------
// `extend:` merging.

bool is_named_list(const Node& n) {
  if (n.type != Node::Type::Sequence || n.items.empty()) return false;
  return std::all_of(n.items.begin(), n.items.end(), [](const Node& i) {
    const Node* name = i.type == Node::Type::Map ? i.get("name") : nullptr;
    return name && name->type == Node::Type::Scalar;
  });
}

const std::vector<std::string> kDistributionKinds = {"deterministic", "exponential", "uniform",    "normal",
                                                     "lognormal",     "gamma",       "weibull",    "triangular",
                                                     "discrete",      "empirical"};

bool is_distribution(const Node& n) {
  return n.type == Node::Type::Map && n.entries.size() == 1 &&
         std::find(kDistributionKinds.begin(), kDistributionKinds.end(), n.entries[0].key) != kDistributionKinds.end();
}

/// Maps that mean one thing as a whole: merging them key by key would mix two distributions
/// or two sets of probabilities that each summed to 1. An override replaces them.
bool replaced_whole(std::string_view key, const Node& base, const Node& over) {
  static const std::vector<std::string_view> whole = {"duration", "within_agency", "across_agency", "need_mix", "to"};
  return std::find(whole.begin(), whole.end(), key) != whole.end() || is_distribution(base) || is_distribution(over);
}

Node merge(Node base, const Node& over, std::string_view key) {
  if (base.type == Node::Type::Map && over.type == Node::Type::Map && !replaced_whole(key, base, over)) {
    for (const Entry& e : over.entries) {
      if (Entry* mine = base.find(e.key)) {
        const bool deep = mine->value.type == Node::Type::Map && e.value.type == Node::Type::Map &&
                          !replaced_whole(e.key, mine->value, e.value);
        const bool by_name = is_named_list(mine->value) && is_named_list(e.value);
        if (deep || by_name) mine->value = merge(std::move(mine->value), e.value, e.key);
        else *mine = e;
      } else {
        base.entries.push_back(e);
      }
    }
    return base;
  }
  if (is_named_list(base) && is_named_list(over)) {
    // Items with the same name merge field by field; new names are appended in order.
    for (const Node& item : over.items) {
      const std::string& name = item.get("name")->scalar;
      auto same = std::find_if(base.items.begin(), base.items.end(),
                               [&](const Node& b) { return b.get("name")->scalar == name; });
      if (same != base.items.end()) *same = merge(std::move(*same), item, "");
      else base.items.push_back(item);
    }
    return base;
  }
  return over;
}

// ---------------------------------------------------------------------------------------
// Typed reading of scalars.

std::optional<double> parse_double(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

double number(const Node& n, const std::string& field) {
  if (n.type == Node::Type::Scalar) {
    if (auto v = parse_double(n.scalar)) return *v;
    std::string hint;
    // "10 days": units belong in the field name or a distribution's `unit:`, not the value.
    const auto space = n.scalar.find(' ');
    if (space != std::string::npos && parse_double(std::string_view(n.scalar).substr(0, space)))
      hint = " (write the number alone; the unit is given by the field name)";
    fail(n, field, "expected a number, found " + found(n) + hint);
  }
  fail(n, field, "expected a number, found " + found(n));
}

double positive(const Node& n, const std::string& field) {
  const double v = number(n, field);
  if (!(v > 0)) fail(n, field, "expected a number > 0, found " + found(n));
  return v;
}

double non_negative(const Node& n, const std::string& field) {
  const double v = number(n, field);
  if (v < 0) fail(n, field, "expected a number >= 0, found " + found(n));
  return v;
}

double probability(const Node& n, const std::string& field) {
  const double v = number(n, field);
  if (v < 0 || v > 1) fail(n, field, "expected a probability between 0 and 1, found " + found(n));
  return v;
}

double in_range(const Node& n, const std::string& field, double lo, double hi, const std::string& expected) {
  const double v = number(n, field);
  if (v < lo || v > hi) fail(n, field, "expected " + expected + ", found " + found(n));
  return v;
}

std::uint64_t whole(const Node& n, const std::string& field, std::uint64_t lo, std::uint64_t hi) {
  const std::string expected = "a whole number " + (hi == std::numeric_limits<std::uint64_t>::max()
                                                        ? ">= " + std::to_string(lo)
                                                        : "from " + std::to_string(lo) + " to " + std::to_string(hi));
  if (n.type == Node::Type::Scalar) {
    // Plain digits first, so seeds above 2^53 are read exactly.
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(n.scalar.data(), n.scalar.data() + n.scalar.size(), v);
    if (ec == std::errc() && end == n.scalar.data() + n.scalar.size()) {
      if (v < lo || v > hi) fail(n, field, "expected " + expected + ", found " + found(n));
      return v;
    }
    if (auto d = parse_double(n.scalar)) {  // 1e6, 10.0
      if (*d == std::floor(*d) && *d >= static_cast<double>(lo) && *d <= static_cast<double>(hi) && *d < 9.0e15)
        return static_cast<std::uint64_t>(*d);
      fail(n, field, "expected " + expected + ", found " + found(n));
    }
  }
  fail(n, field, "expected " + expected + ", found " + found(n));
}

bool boolean(const Node& n, const std::string& field) {
  if (n.type == Node::Type::Scalar) {
    std::string v = n.scalar;
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (v == "true" || v == "yes" || v == "on") return true;
    if (v == "false" || v == "no" || v == "off") return false;
  }
  fail(n, field, "expected true or false, found " + found(n));
}

std::string text(const Node& n, const std::string& field) {
  if (n.type != Node::Type::Scalar) fail(n, field, "expected text, found " + found(n));
  return n.scalar;
}

std::string name_text(const Node& n, const std::string& field) {
  std::string s = text(n, field);
  if (s.empty()) fail(n, field, "expected a name, found an empty text");
  return s;
}

const Node& sequence(const Node& n, const std::string& field, const std::string& of) {
  if (n.type != Node::Type::Sequence) fail(n, field, "expected a list of " + of + ", found " + found(n));
  return n;
}

/// One of a fixed set of words.
template <class T>
T choice(const Node& n, const std::string& field, const std::vector<std::pair<std::string, T>>& options) {
  std::vector<std::string> words;
  for (const auto& [word, value] : options) words.push_back(word);
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
  Fields(const Node& n, std::string path, std::initializer_list<std::string_view> allowed,
         const std::string& what = "a map of fields")
      : node_(n), path_(std::move(path)), allowed_(allowed.begin(), allowed.end()) {
    if (n.type != Node::Type::Map) fail(n, path_, "expected " + what + ", found " + found(n));
    for (const Entry& e : n.entries) {
      if (std::find(allowed_.begin(), allowed_.end(), e.key) == allowed_.end())
        fail(e.value.file, e.key_line, join(path_, e.key), "unknown field '" + e.key + "'" + suggestion(e.key, allowed_));
    }
  }

  const Node* get(std::string_view key) const { return node_.get(key); }
  const Node& need(std::string_view key, const std::string& hint = "") const {
    if (const Node* n = node_.get(key)) return *n;
    fail(node_, field(key), "missing required field '" + std::string(key) + "'" + hint);
  }
  std::string field(std::string_view key) const { return join(path_, key); }
  const std::string& path() const { return path_; }
  const Node& node() const { return node_; }

 private:
  const Node& node_;
  std::string path_;
  std::vector<std::string> allowed_;
};

// ---------------------------------------------------------------------------------------
// Distributions.

enum class DurationRule {
  NonNegative,   // values >= 0 (hand-offs, discharge checks)
  PositiveMean,  // values >= 0 and mean > 0 (lengths of service)
};

double unit_factor(const Node& n, const std::string& field) {
  return choice<double>(n, field,
                        {{"days", 1.0}, {"day", 1.0}, {"weeks", kDaysPerWeek}, {"week", kDaysPerWeek},
                         {"months", kDaysPerMonth}, {"month", kDaysPerMonth}, {"years", kDaysPerYear},
                         {"year", kDaysPerYear}});
}

std::vector<double> numbers(const Node& n, const std::string& field, const std::string& of) {
  sequence(n, field, of);
  std::vector<double> v;
  for (std::size_t i = 0; i < n.items.size(); ++i) v.push_back(number(n.items[i], at_index(field, i)));
  return v;
}

Distribution distribution(const Node& n, const std::string& field, DurationRule rule) {
  double lowest = 0;  // smallest value the distribution can take (before unit scaling; sign is what matters)
  double factor = 1;
  Distribution d;
  std::string kind;
  if (n.type == Node::Type::Scalar) {
    const double v = number(n, field);
    lowest = v;
    kind = "deterministic";
    d = Distribution::deterministic(v);
  } else {
    if (n.type != Node::Type::Map || n.entries.size() != 1) {
      fail(n, field,
           "expected a distribution: a number of days, or one key naming its kind such as "
           "{exponential: {mean: 3}}; found " +
               found(n));
    }
    const Entry& e = n.entries.front();
    kind = e.key;
    if (std::find(kDistributionKinds.begin(), kDistributionKinds.end(), kind) == kDistributionKinds.end())
      fail(e.value.file, e.key_line, join(field, kind), "unknown distribution '" + kind + "'" + suggestion(kind, kDistributionKinds));
    const Node& p = e.value;
    const std::string pf = join(field, kind);
    auto unit = [&](const Fields& f) {
      if (const Node* u = f.get("unit")) factor = unit_factor(*u, f.field("unit"));
    };
    try {
      if (kind == "deterministic") {
        double v = 0;
        if (p.type == Node::Type::Scalar) {
          v = number(p, pf);
        } else {
          Fields f(p, pf, {"value", "unit"}, "a number or {value, unit}");
          unit(f);
          v = number(f.need("value"), f.field("value"));
        }
        lowest = v;
        d = Distribution::deterministic(v);
      } else if (kind == "empirical") {
        std::vector<double> obs;
        if (p.type == Node::Type::Sequence) {
          obs = numbers(p, pf, "observations");
        } else {
          Fields f(p, pf, {"values", "unit"}, "a list of observations or {values, unit}");
          unit(f);
          obs = numbers(f.need("values"), f.field("values"), "observations");
        }
        lowest = obs.empty() ? 0 : *std::min_element(obs.begin(), obs.end());
        d = Distribution::empirical(std::move(obs));
      } else if (kind == "discrete") {
        Fields f(p, pf, {"values", "weights", "unit"}, "{values: [...], weights: [...]}");
        unit(f);
        auto values = numbers(f.need("values"), f.field("values"), "values");
        auto weights = numbers(f.need("weights"), f.field("weights"), "weights");
        if (values.size() != weights.size())
          fail(f.need("weights"), f.field("weights"),
               "expected one weight per value (" + std::to_string(values.size()) + "), found " +
                   std::to_string(weights.size()));
        lowest = values.empty() ? 0 : *std::min_element(values.begin(), values.end());
        d = Distribution::discrete(std::move(values), std::move(weights));
      } else if (kind == "exponential") {
        Fields f(p, pf, {"mean", "unit"}, "{mean, unit}");
        unit(f);
        d = Distribution::exponential(number(f.need("mean"), f.field("mean")));
      } else if (kind == "uniform") {
        Fields f(p, pf, {"min", "max", "unit"}, "{min, max, unit}");
        unit(f);
        const double lo = number(f.need("min"), f.field("min"));
        lowest = lo;
        d = Distribution::uniform(lo, number(f.need("max"), f.field("max")));
      } else if (kind == "normal" || kind == "lognormal") {
        Fields f(p, pf, {"mean", "sd", "unit"}, "{mean, sd, unit}");
        unit(f);
        const double mean = number(f.need("mean"), f.field("mean"));
        const double sd = number(f.need("sd"), f.field("sd"));
        if (kind == "normal") {
          // A normal duration is only acceptable when negative draws are negligible.
          lowest = mean - 3 * sd;
          d = Distribution::normal(mean, sd);
        } else {
          d = Distribution::lognormal(mean, sd);
        }
      } else if (kind == "gamma" || kind == "weibull") {
        Fields f(p, pf, {"shape", "scale", "unit"}, "{shape, scale, unit}");
        unit(f);
        const double shape = number(f.need("shape"), f.field("shape"));
        const double scale = number(f.need("scale"), f.field("scale"));
        d = kind == "gamma" ? Distribution::gamma(shape, scale) : Distribution::weibull(shape, scale);
      } else {  // triangular
        Fields f(p, pf, {"min", "mode", "max", "unit"}, "{min, mode, max, unit}");
        unit(f);
        const double lo = number(f.need("min"), f.field("min"));
        lowest = lo;
        d = Distribution::triangular(lo, number(f.need("mode"), f.field("mode")), number(f.need("max"), f.field("max")));
      }
      if (factor != 1) d = d.scaled(factor);
    } catch (const std::invalid_argument& ex) {
      fail(n, field, std::string("invalid distribution: ") + ex.what() + "; found " + found(n));
    }
  }
  if (lowest < 0) {
    if (kind == "normal")
      fail(n, field,
           "a duration cannot be negative, and this normal distribution gives negative values too often "
           "(mean < 3 sd); use lognormal or gamma; found " + found(n));
    fail(n, field, "a duration cannot be negative; found " + found(n));
  }
  if (rule == DurationRule::PositiveMean && !(d.mean() > 0))
    fail(n, field, "expected a duration with a mean above 0 days; found " + found(n));
  return d;
}

// ---------------------------------------------------------------------------------------
// Transforms: parameters typed by the schema in transforms.cpp.

int index_by_name(const std::vector<std::string>& names, const Node& n, const std::string& field, const std::string& kind) {
  const std::string name = name_text(n, field);
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  fail(n, field, "unknown " + kind + " '" + name + "'" + suggestion(name, names));
}

TransformSpec read_transform(const Node& item, std::string path, const Scenario& s) {
  if (item.type != Node::Type::Map) fail(item, path, "expected a transform {name: ..., parameters}, found " + found(item));
  const Node* name_node = item.get("name");
  if (!name_node) fail(item, path + ".name", "missing required field 'name'");
  TransformSpec t;
  t.name = name_text(*name_node, path + ".name");
  const TransformSchema* schema = find_transform(t.name);
  if (!schema) {
    std::vector<std::string> known;
    for (const TransformSchema& k : transform_schemas()) known.push_back(k.name);
    fail(*name_node, path + ".name", "unknown transform '" + t.name + "'" + suggestion(t.name, known));
  }
  path = at_name("transforms", t.name);
  t.source = SourceRef{item.file, item.line, path};
  std::vector<std::string> allowed{"name"};
  for (const ParamSchema& p : schema->params) allowed.push_back(p.key);
  std::vector<std::string> service_names, cohort_names;
  for (const ServiceSpec& v : s.services) service_names.push_back(v.name);
  for (const CohortSpec& c : s.cohorts) cohort_names.push_back(c.name);
  for (const Entry& e : item.entries)
    if (std::find(allowed.begin(), allowed.end(), e.key) == allowed.end())
      fail(e.value.file, e.key_line, join(path, e.key),
           "unknown parameter '" + e.key + "' of " + t.name + suggestion(e.key, allowed));
  for (const ParamSchema& p : schema->params) {
    const Node* v = item.get(p.key);
    const std::string field = join(path, p.key);
    if (!v) {
      if (p.required) fail(item, field, "missing required parameter '" + p.key + "' (" + p.doc + ")");
      continue;
    }
    switch (p.type) {
      case ParamType::Number: t.numbers[p.key] = number(*v, field); break;
      case ParamType::NonNegative: t.numbers[p.key] = non_negative(*v, field); break;
      case ParamType::Probability: t.numbers[p.key] = probability(*v, field); break;
      case ParamType::Boolean: t.numbers[p.key] = boolean(*v, field) ? 1.0 : 0.0; break;
      case ParamType::NeedLevel: t.numbers[p.key] = index_by_name(s.need_levels, *v, field, "need level"); break;
      case ParamType::Services:
      case ParamType::Cohorts: {
        const bool services = p.type == ParamType::Services;
        const auto& names = services ? service_names : cohort_names;
        std::vector<int> out;
        if (v->type == Node::Type::Sequence) {
          for (std::size_t i = 0; i < v->items.size(); ++i)
            out.push_back(index_by_name(names, v->items[i], at_index(field, i), services ? "service" : "cohort"));
        } else {
          out.push_back(index_by_name(names, *v, field, services ? "service" : "cohort"));
        }
        t.lists[p.key] = std::move(out);
        break;
      }
    }
  }
  return t;
}

// ---------------------------------------------------------------------------------------
// The tree → Scenario.

class Builder {
 public:
  Scenario build(const Node& root) {
    check_misplaced(root);
    Fields top(root, "",
               {"careflow", "name", "description", "extend", "run", "need_levels", "governance", "handoffs", "economics",
                "agencies", "pools", "cohorts", "services", "discharge_checks", "indicators", "transforms", "region"});
    s_.version = kScenarioFormatVersion;  // checked file by file before merging
    s_.name = name_text(top.need("name"), "name");
    if (const Node* d = top.get("description")) s_.description = text(*d, "description");
    if (const Node* r = top.get("run")) read_run(*r);
    if (const Node* n = top.get("need_levels")) read_need_levels(*n);
    for (std::size_t i = 0; i < s_.need_levels.size(); ++i) needs_[s_.need_levels[i]] = static_cast<int>(i);

    // Names first: services, cohorts and agencies refer to each other in any order.
    agency_items_ = named_items(top, "agencies", "agency", agencies_);
    service_items_ = named_items(top, "services", "service", services_);
    cohort_items_ = named_items(top, "cohorts", "cohort", cohorts_);
    for (const auto& [name, item] : service_items_)
      if (name == "exit" || name == "died")
        fail(*item->get("name"), "services[" + name + "].name",
             "'" + name + "' is reserved (exit: leaving the care system; died: a death); rename the service");

    for (std::size_t i = 0; i < agency_items_.size(); ++i) read_agency(i);
    if (const Node* g = top.get("governance")) read_governance(*g);
    if (const Node* h = top.get("handoffs")) read_handoffs(*h);
    if (const Node* e = top.get("economics")) {
      Fields f(*e, "economics", {"discount_rate"});
      if (const Node* r = f.get("discount_rate"))
        s_.discount_rate = in_range(*r, f.field("discount_rate"), 0, 0.999999, "a yearly rate from 0 to below 1 (0.035 = 3.5%)");
    }
    if (const Node* r = top.get("region")) read_region(*r);
    s_.services.resize(service_items_.size());
    for (std::size_t i = 0; i < service_items_.size(); ++i) read_service(i);
    s_.cohorts.resize(cohort_items_.size());
    for (std::size_t i = 0; i < cohort_items_.size(); ++i) read_cohort(i);
    if (const Node* p = top.get("pools")) read_pools(*p);
    if (const Node* d = top.get("discharge_checks")) read_discharge_checks(*d);
    if (const Node* ind = top.get("indicators")) read_indicators(*ind);
    if (const Node* t = top.get("transforms")) {
      sequence(*t, "transforms", "named transforms");
      for (std::size_t i = 0; i < t->items.size(); ++i)
        s_.transforms.push_back(read_transform(t->items[i], at_index("transforms", i), s_));
    }
    apply_transforms(s_);
    return std::move(s_);
  }

 private:
  using Items = std::vector<std::pair<std::string, const Node*>>;

  Scenario s_;
  std::map<std::string, int> agencies_, services_, cohorts_, needs_, sites_;
  Items agency_items_, service_items_, cohort_items_;

  /// A field of a section written at the top level ("horizon_years:" instead of under "run:").
  static void check_misplaced(const Node& root) {
    static const std::vector<std::pair<std::string_view, std::vector<std::string_view>>> sections = {
        {"run", {"horizon_years", "warmup_years", "replications", "seed", "tracked_people"}},
        {"governance", {"budget_mode", "lead_agency", "integrated_assessment"}},
        {"handoffs", {"within_agency", "across_agency"}},
        {"economics", {"discount_rate"}},
        {"services", {"capacity", "tier", "duration", "routes", "agency"}},
        {"cohorts", {"population", "episodes_per_1000_per_year", "entry", "need_mix"}},
    };
    for (const Entry& e : root.entries)
      for (const auto& [section, fields] : sections)
        if (std::find(fields.begin(), fields.end(), e.key) != fields.end())
          fail(e.value.file, e.key_line, e.key,
               "unknown top-level field '" + e.key + "'; it belongs under '" + std::string(section) + ":'" +
                   (section == "services" || section == "cohorts" ? " (in one of its items)" : "") +
                   ", indented below it");
  }

  static std::vector<std::string> keys(const std::map<std::string, int>& table) {
    std::vector<std::string> out;
    for (const auto& [name, index] : table) out.push_back(name);
    return out;
  }

  Items named_items(const Fields& top, std::string_view key, const std::string& kind, std::map<std::string, int>& table) {
    const std::string path(key);
    const Node& list = sequence(top.need(key), path, std::string(key));
    if (list.items.empty()) fail(list, path, "expected at least one " + kind + ", found an empty list");
    Items out;
    std::map<std::string, const Node*> seen;
    for (std::size_t i = 0; i < list.items.size(); ++i) {
      const Node& item = list.items[i];
      if (item.type != Node::Type::Map) fail(item, at_index(path, i), "expected the fields of a " + kind + ", found " + found(item));
      const Node* name_node = item.get("name");
      if (!name_node) fail(item, at_index(path, i) + ".name", "missing required field 'name'");
      const std::string name = name_text(*name_node, at_index(path, i) + ".name");
      if (auto [it, fresh] = seen.emplace(name, name_node); !fresh)
        fail(*name_node, at_name(path, name) + ".name",
             "duplicate " + kind + " name '" + name + "' (first defined at " + it->second->file + ":" +
                 std::to_string(it->second->line) + ")");
      table[name] = static_cast<int>(i);
      out.emplace_back(name, &item);
    }
    return out;
  }

  int resolve(const Node& n, const std::string& field, const std::string& kind, const std::map<std::string, int>& table,
              bool allow_exit = false) {
    const std::string name = name_text(n, field);
    if (allow_exit && name == "exit") return kExit;
    if (allow_exit && name == "died") return kDied;
    if (auto it = table.find(name); it != table.end()) return it->second;
    auto candidates = keys(table);
    if (allow_exit) {
      candidates.push_back("exit");
      candidates.push_back("died");
    }
    fail(n, field, "unknown " + kind + " '" + name + "'" + suggestion(name, candidates));
  }
  int service_ref(const Node& n, const std::string& field, bool allow_exit = false) {
    return resolve(n, field, "service", services_, allow_exit);
  }

  /// A name or a list of names.
  std::vector<int> refs(const Node& n, const std::string& field, const std::string& kind,
                        const std::map<std::string, int>& table) {
    std::vector<int> out;
    if (n.type == Node::Type::Sequence) {
      for (std::size_t i = 0; i < n.items.size(); ++i) out.push_back(resolve(n.items[i], at_index(field, i), kind, table));
    } else {
      out.push_back(resolve(n, field, kind, table));
    }
    return out;
  }

  /// [min, max] in years; `max` may be left out (no upper limit) when open_ended.
  std::pair<double, double> age_range(const Node& n, const std::string& field, bool open_ended) {
    const std::string expected = open_ended ? "[min, max] or [min] in years" : "[min, max] in years";
    if (n.type != Node::Type::Sequence || n.items.empty() || n.items.size() > 2 || (!open_ended && n.items.size() != 2))
      fail(n, field, "expected an age range " + expected + ", found " + found(n));
    const double lo = in_range(n.items[0], at_index(field, 0), 0, kMaxAge, "an age from 0 to 130 years");
    const double hi = n.items.size() == 2 ? in_range(n.items[1], at_index(field, 1), 0, kMaxAge, "an age from 0 to 130 years")
                                          : kInfinity;
    if (!(lo < hi)) fail(n, field, "expected an age range with min < max, found " + found(n));
    return {lo, hi};
  }

  void read_region(const Node& n) {
    Fields f(n, "region", {"sites", "transfer_days"}, "the fields of a region");
    const Node& list = sequence(f.need("sites"), f.field("sites"), "site names");
    s_.region_source = SourceRef{list.file, list.line, "region.sites"};
    if (list.items.empty()) fail(list, f.field("sites"), "expected at least one site, found an empty list");
    for (std::size_t i = 0; i < list.items.size(); ++i) {
      const std::string at = at_index(f.field("sites"), i);
      const std::string name = name_text(list.items[i], at);
      if (!sites_.emplace(name, static_cast<int>(i)).second) fail(list.items[i], at, "duplicate site name '" + name + "'");
      s_.sites.push_back(name);
    }
    if (const Node* t = f.get("transfer_days")) s_.transfer_days = positive(*t, f.field("transfer_days"));
  }

  void read_run(const Node& n) {
    Fields f(n, "run", {"horizon_years", "warmup_years", "replications", "seed", "tracked_people"});
    if (const Node* h = f.get("horizon_years")) {
      s_.horizon_years = positive(*h, f.field("horizon_years"));
      if (s_.horizon_years > kMaxHorizonYears)
        fail(*h, f.field("horizon_years"),
             "a horizon of " + format_number(s_.horizon_years) + " years is implausible; expected at most 200 years");
    }
    if (const Node* w = f.get("warmup_years")) {
      s_.warmup_years = non_negative(*w, f.field("warmup_years"));
      if (s_.warmup_years >= s_.horizon_years)
        fail(*w, f.field("warmup_years"),
             "warmup_years (" + format_number(s_.warmup_years) + ") must be shorter than the horizon, horizon_years (" +
                 format_number(s_.horizon_years) + ")");
    } else if (s_.warmup_years >= s_.horizon_years) {
      fail(f.need("horizon_years"), f.field("horizon_years"),
           "horizon_years (" + format_number(s_.horizon_years) + ") must be longer than the default warmup_years (" +
               format_number(s_.warmup_years) + "); set run.warmup_years");
    }
    if (const Node* r = f.get("replications")) s_.replications = whole(*r, f.field("replications"), 1, 1'000'000);
    if (const Node* sd = f.get("seed")) s_.seed = whole(*sd, f.field("seed"), 0, std::numeric_limits<std::uint64_t>::max());
    if (const Node* t = f.get("tracked_people"))
      s_.tracked_people = static_cast<std::uint32_t>(whole(*t, f.field("tracked_people"), 0, 10'000'000));
  }

  void read_need_levels(const Node& n) {
    sequence(n, "need_levels", "need-level names");
    if (n.items.size() < 2) fail(n, "need_levels", "expected at least 2 need levels, found " + std::to_string(n.items.size()));
    s_.need_levels.clear();
    for (std::size_t i = 0; i < n.items.size(); ++i) {
      const std::string name = name_text(n.items[i], at_index("need_levels", i));
      if (std::find(s_.need_levels.begin(), s_.need_levels.end(), name) != s_.need_levels.end())
        fail(n.items[i], at_index("need_levels", i), "need level '" + name + "' is listed twice");
      s_.need_levels.push_back(name);
    }
  }

  void read_agency(std::size_t i) {
    const auto& [name, node] = agency_items_[i];
    Fields f(*node, at_name("agencies", name), {"name", "budget_per_year"});
    AgencySpec a;
    a.name = name;
    a.source = SourceRef{node->file, node->line, f.path()};
    if (const Node* b = f.get("budget_per_year")) a.annual_budget = budget(*b, f.field("budget_per_year"));
    s_.agencies.push_back(std::move(a));
  }

  static double budget(const Node& n, const std::string& field) {
    const double v = number(n, field);
    if (v < 0) fail(n, field, "a budget cannot be negative; expected £ per year >= 0, found " + found(n));
    return v;
  }

  void read_governance(const Node& n) {
    Fields f(n, "governance", {"budget_mode", "lead_agency", "integrated_assessment"});
    if (const Node* m = f.get("budget_mode"))
      s_.budget_mode = choice<BudgetMode>(*m, f.field("budget_mode"));
    if (const Node* l = f.get("lead_agency")) s_.lead_agency = resolve(*l, f.field("lead_agency"), "agency", agencies_);
    if (s_.budget_mode == BudgetMode::Lead && s_.lead_agency == kExit)
      f.need("lead_agency", " (budget_mode 'lead' needs the agency that holds the pooled money)");
    if (const Node* ia = f.get("integrated_assessment"))
      s_.integrated_assessment = boolean(*ia, f.field("integrated_assessment"));
  }

  void read_handoffs(const Node& n) {
    Fields f(n, "handoffs", {"within_agency", "across_agency"});
    if (const Node* w = f.get("within_agency"))
      s_.handoff_within = distribution(*w, f.field("within_agency"), DurationRule::NonNegative);
    if (const Node* a = f.get("across_agency"))
      s_.handoff_across = distribution(*a, f.field("across_agency"), DurationRule::NonNegative);
  }

  void read_pools(const Node& n) {
    sequence(n, "pools", "pooled budgets");
    std::map<int, std::string> pooled;  // service → pool, to refuse a service in two pools
    std::map<std::string, int> names;
    for (std::size_t i = 0; i < n.items.size(); ++i) {
      const Node& item = n.items[i];
      std::string path = at_index("pools", i);
      if (item.type == Node::Type::Map)
        if (const Node* nm = item.get("name"); nm && nm->type == Node::Type::Scalar) path = at_name("pools", nm->scalar);
      Fields f(item, path, {"name", "services", "budget_per_year", "review_days", "flexible_share"}, "the fields of a pool");
      PoolSpec p;
      p.name = name_text(f.need("name"), f.field("name"));
      if (!names.emplace(p.name, static_cast<int>(i)).second)
        fail(f.need("name"), f.field("name"), "duplicate pool name '" + p.name + "'");
      p.source = SourceRef{item.file, item.line, path};
      const Node& list = sequence(f.need("services"), f.field("services"), "service names");
      if (list.items.empty()) fail(list, f.field("services"), "expected at least one service in the pool, found an empty list");
      p.services = refs(list, f.field("services"), "service", services_);
      for (std::size_t k = 0; k < p.services.size(); ++k) {
        const int svc = p.services[k];
        if (auto [it, fresh] = pooled.emplace(svc, p.name); !fresh)
          fail(list.items[k], at_index(f.field("services"), k),
               "service '" + s_.services[static_cast<std::size_t>(svc)].name + "' is already in pool '" + it->second +
                   "'; a service can be in one pool only");
      }
      if (const Node* b = f.get("budget_per_year")) p.annual_budget = budget(*b, f.field("budget_per_year"));
      if (const Node* r = f.get("review_days")) p.review_days = positive(*r, f.field("review_days"));
      if (const Node* s = f.get("flexible_share")) p.flexible_share = probability(*s, f.field("flexible_share"));
      s_.pools.push_back(std::move(p));
    }
  }

  void read_cohort(std::size_t i) {
    const auto& [name, node] = cohort_items_[i];
    Fields f(*node, at_name("cohorts", name),
             {"name", "population", "age", "episodes_per_1000_per_year", "trend_per_year", "seasonality", "entry",
              "need_mix", "coproduction", "rereferral_probability", "self_funder_share", "transition"},
             "the fields of a cohort");
    CohortSpec& c = s_.cohorts[i];
    c.name = name;
    c.source = SourceRef{node->file, node->line, f.path()};
    const Node& pop = f.need("population");
    c.population = non_negative(pop, f.field("population"));
    if (c.population > kMaxPopulation)
      fail(pop, f.field("population"),
           "a population of " + format_number(c.population) + " is implausible; expected at most 1e8 per cohort");
    std::tie(c.min_age, c.max_age) = age_range(f.need("age"), f.field("age"), false);
    const Node& rate = f.need("episodes_per_1000_per_year");
    c.episodes_per_1000_per_year = non_negative(rate, f.field("episodes_per_1000_per_year"));
    if (c.episodes_per_1000_per_year > 1e6)
      fail(rate, f.field("episodes_per_1000_per_year"),
           "expected at most 1e6 episodes per 1000 people per year, found " + found(rate));
    if (const Node* t = f.get("trend_per_year"))
      c.trend_per_year = in_range(*t, f.field("trend_per_year"), -0.5, 1.0, "a yearly growth rate from -0.5 to 1 (0.01 = +1% a year)");
    if (const Node* sn = f.get("seasonality")) {
      Fields sf(*sn, f.field("seasonality"), {"amplitude", "peak_day"});
      if (const Node* a = sf.get("amplitude"))
        c.seasonal_amplitude = in_range(*a, sf.field("amplitude"), 0, 1, "an amplitude from 0 to 1 (0.1 = ±10%)");
      if (const Node* p = sf.get("peak_day"))
        c.seasonal_peak_day = in_range(*p, sf.field("peak_day"), 0, 366, "a day of the year from 0 to 366");
    }
    c.entry = service_ref(f.need("entry"), f.field("entry"));
    c.need_weights.assign(s_.need_levels.size(), 0.0);
    if (const Node* mix = f.get("need_mix")) {
      const std::string mf = f.field("need_mix");
      if (mix->type != Node::Type::Map || mix->entries.empty())
        fail(*mix, mf, "expected a map of need level to share, e.g. {additional: 0.6, complex: 0.4}; found " + found(*mix));
      double total = 0;
      for (const Entry& e : mix->entries) {
        const auto it = needs_.find(e.key);
        if (it == needs_.end())
          fail(e.value.file, e.key_line, join(mf, e.key),
               "unknown need level '" + e.key + "'" + suggestion(e.key, s_.need_levels));
        const double w = probability(e.value, join(mf, e.key));
        c.need_weights[static_cast<std::size_t>(it->second)] = w;
        total += w;
      }
      if (std::abs(total - 1) > kProbabilityTolerance)
        fail(*mix, mf, "the shares of the need mix must sum to 1, found a sum of " + format_number(total));
    } else {
      c.need_weights[0] = 1.0;  // everyone starts at the lowest level
    }
    if (const Node* cp = f.get("coproduction")) {
      Fields cf(*cp, f.field("coproduction"), {"min", "max", "effect"});
      if (const Node* lo = cf.get("min")) c.coproduction_min = probability(*lo, cf.field("min"));
      if (const Node* hi = cf.get("max")) c.coproduction_max = probability(*hi, cf.field("max"));
      if (c.coproduction_min > c.coproduction_max)
        fail(*cp, cf.path(),
             "expected min <= max, found min " + format_number(c.coproduction_min) + " and max " +
                 format_number(c.coproduction_max));
      if (const Node* ef = cf.get("effect")) c.coproduction_effect = probability(*ef, cf.field("effect"));
    }
    if (const Node* r = f.get("rereferral_probability"))
      c.rereferral_probability = probability(*r, f.field("rereferral_probability"));
    if (const Node* sf = f.get("self_funder_share")) c.self_funder_share = probability(*sf, f.field("self_funder_share"));
    if (const Node* tr = f.get("transition")) {
      Fields tf(*tr, f.field("transition"), {"to", "age"});
      c.transition_to = service_ref(tf.need("to"), tf.field("to"));
      if (const Node* a = tf.get("age")) c.transition_age = in_range(*a, tf.field("age"), 0, kMaxAge, "an age from 0 to 130 years");
      if (!(c.transition_age > c.min_age))
        fail(tf.get("age") ? *tf.get("age") : *tr, tf.field("age"),
             "the transition age (" + format_number(c.transition_age) + ") must be above the cohort's minimum age (" +
                 format_number(c.min_age) + ")");
    }
  }

  void read_service(std::size_t i) {
    const auto& [name, node] = service_items_[i];
    Fields f(*node, at_name("services", name),
             {"name", "tier", "kind", "agency", "capacity", "capacity_schedule", "duration", "discipline", "max_queue",
              "patience_days", "overflow_to", "cost", "escalation_per_year", "de_escalation_per_year", "escalate_to",
              "integrated_into", "dtoc_reason", "review", "routes", "site"},
             "the fields of a service");
    ServiceSpec& v = s_.services[i];
    v.name = name;
    v.source = SourceRef{node->file, node->line, f.path()};
    v.tier = choice<Tier>(f.need("tier"), f.field("tier"));
    if (const Node* k = f.get("kind"))
      v.kind = choice<ServiceKind>(*k, f.field("kind"));
    v.agency = resolve(f.need("agency"), f.field("agency"), "agency", agencies_);
    v.capacity = static_cast<std::uint32_t>(whole(f.need("capacity"), f.field("capacity"), 1, kMaxPlaces));
    if (const Node* cs = f.get("capacity_schedule")) read_schedule(*cs, f.field("capacity_schedule"), v);
    v.duration = distribution(f.need("duration"), f.field("duration"), DurationRule::PositiveMean);
    if (const Node* d = f.get("discipline"))
      v.discipline = choice<QueueDiscipline>(*d, f.field("discipline"));
    if (const Node* q = f.get("max_queue")) {
      if (q->type == Node::Type::Scalar && q->scalar == "unlimited") v.max_queue = Resource::kUnlimited;
      else v.max_queue = static_cast<std::uint32_t>(whole(*q, f.field("max_queue"), 0, kMaxPlaces));
    }
    if (const Node* p = f.get("patience_days")) v.patience_days = positive(*p, f.field("patience_days"));
    if (const Node* o = f.get("overflow_to")) v.overflow_to = service_ref(*o, f.field("overflow_to"), true);
    if (const Node* c = f.get("cost")) read_cost(*c, f.field("cost"), v.cost);
    if (const Node* e = f.get("escalation_per_year")) v.escalation_per_year = non_negative(*e, f.field("escalation_per_year"));
    if (const Node* e = f.get("de_escalation_per_year"))
      v.de_escalation_per_year = non_negative(*e, f.field("de_escalation_per_year"));
    if (const Node* e = f.get("escalate_to")) v.escalate_to = service_ref(*e, f.field("escalate_to"));
    if (const Node* ii = f.get("integrated_into")) {
      v.integrated_into = service_ref(*ii, f.field("integrated_into"));
      if (v.integrated_into == static_cast<int>(i))
        fail(*ii, f.field("integrated_into"), "a service cannot be integrated into itself");
    }
    if (const Node* d = f.get("dtoc_reason")) v.dtoc_reason = text(*d, f.field("dtoc_reason"));
    if (const Node* st = f.get("site")) {
      if (sites_.empty())
        fail(*st, f.field("site"), "a service names a site, but the scenario declares none: list the sites under 'region: sites:'");
      v.site = resolve(*st, f.field("site"), "site", sites_);
    }
    if (const Node* r = f.get("review")) {
      Fields rf(*r, f.field("review"), {"every_days", "cost", "step_down_probability", "step_down_to"});
      if (const Node* e = rf.get("every_days")) v.review.every_days = non_negative(*e, rf.field("every_days"));
      if (const Node* c = rf.get("cost")) v.review.cost = non_negative(*c, rf.field("cost"));
      if (const Node* p = rf.get("step_down_probability"))
        v.review.step_down_probability = probability(*p, rf.field("step_down_probability"));
      if (const Node* t = rf.get("step_down_to")) v.review.step_down_to = service_ref(*t, rf.field("step_down_to"), true);
    }
    if (const Node* r = f.get("routes")) read_routes(*r, f.field("routes"), v);
  }

  void read_schedule(const Node& n, const std::string& field, ServiceSpec& v) {
    sequence(n, field, "{at_days, capacity} steps");
    for (std::size_t k = 0; k < n.items.size(); ++k) {
      const std::string path = at_index(field, k);
      Fields f(n.items[k], path, {"at_days", "at_years", "capacity"}, "{at_days: DAY, capacity: PLACES}");
      CapacityStep step;
      const Node* d = f.get("at_days");
      const Node* y = f.get("at_years");
      if (d && y) fail(n.items[k], path, "give either at_days or at_years, not both");
      if (d) step.at = non_negative(*d, f.field("at_days"));
      else if (y) step.at = non_negative(*y, f.field("at_years")) * kDaysPerYear;
      else f.need("at_days", " (or at_years)");
      step.capacity = static_cast<std::uint32_t>(whole(f.need("capacity"), f.field("capacity"), 0, kMaxPlaces));
      if (!v.capacity_schedule.empty() && !(step.at > v.capacity_schedule.back().at))
        fail(n.items[k], path,
             "capacity steps must be in increasing time order; this one (day " + format_number(step.at) +
                 ") is not after the previous one (day " + format_number(v.capacity_schedule.back().at) + ")");
      v.capacity_schedule.push_back(step);
    }
    try {
      validate_schedule(v.capacity_schedule);
    } catch (const std::invalid_argument& ex) {
      fail(n, field, ex.what());
    }
  }

  static void read_cost(const Node& n, const std::string& field, CostSpec& c) {
    Fields f(n, field, {"per_contact", "per_episode", "per_day", "per_week", "per_hour", "hours_per_week"});
    const std::pair<const char*, double*> parts[] = {{"per_contact", &c.per_contact}, {"per_episode", &c.per_episode},
                                                     {"per_day", &c.per_day},         {"per_week", &c.per_week},
                                                     {"per_hour", &c.per_hour},       {"hours_per_week", &c.hours_per_week}};
    for (const auto& [key, target] : parts)
      if (const Node* v = f.get(key)) *target = non_negative(*v, f.field(key));
    if (c.hours_per_week > 168)
      fail(*f.get("hours_per_week"), f.field("hours_per_week"),
           "a week has 168 hours; found " + format_number(c.hours_per_week));
  }

  void read_routes(const Node& n, const std::string& field, ServiceSpec& v) {
    sequence(n, field, "route rules ({when, to})");
    for (std::size_t k = 0; k < n.items.size(); ++k) {
      const std::string path = at_index(field, k);
      const Node& item = n.items[k];
      Fields f(item, path, {"when", "to"}, "a route rule {when: ..., to: {service: probability}}");
      RouteRule rule;
      rule.source = SourceRef{item.file, item.line, path};
      if (const Node* w = f.get("when")) {
        Fields wf(*w, f.field("when"), {"need", "age", "cohort"});
        if (const Node* nd = wf.get("need")) rule.when.need_levels = refs(*nd, wf.field("need"), "need level", needs_);
        if (const Node* a = wf.get("age")) std::tie(rule.when.min_age, rule.when.max_age) = age_range(*a, wf.field("age"), true);
        if (const Node* c = wf.get("cohort")) rule.when.cohorts = refs(*c, wf.field("cohort"), "cohort", cohorts_);
      }
      const Node& to = f.need("to", " (where people go: {service: probability, exit: probability})");
      const std::string tf = f.field("to");
      if (to.type != Node::Type::Map || to.entries.empty())
        fail(to, tf, "expected a map of next service to probability, e.g. {assessment: 0.3, exit: 0.7}; found " + found(to));
      double total = 0;
      for (const Entry& e : to.entries) {
        RouteTarget t;
        Node key_node;
        key_node.type = Node::Type::Scalar;
        key_node.scalar = e.key;
        key_node.file = e.value.file;
        key_node.line = e.key_line;
        t.service = service_ref(key_node, join(tf, e.key), true);
        t.probability = probability(e.value, join(tf, e.key));
        total += t.probability;
        rule.to.push_back(t);
      }
      if (std::abs(total - 1) > kProbabilityTolerance)
        fail(to, tf,
             "the probabilities of a route rule must sum to 1, found a sum of " + format_number(total) +
                 (total < 1 ? " (send the rest to 'exit' explicitly)" : ""));
      v.routes.push_back(std::move(rule));
    }
  }

  void read_discharge_checks(const Node& n) {
    sequence(n, "discharge_checks", "{reason, probability, duration}");
    for (std::size_t k = 0; k < n.items.size(); ++k) {
      const std::string path = at_index("discharge_checks", k);
      Fields f(n.items[k], path, {"reason", "probability", "duration"}, "{reason, probability, duration}");
      DischargeCheckSpec d;
      d.reason = name_text(f.need("reason"), f.field("reason"));
      d.probability = probability(f.need("probability"), f.field("probability"));
      d.duration = distribution(f.need("duration"), f.field("duration"), DurationRule::NonNegative);
      s_.discharge_checks.push_back(std::move(d));
    }
  }

  void read_indicators(const Node& n) {
    Fields f(n, "indicators",
             {"referrals", "child_protection", "looked_after", "reablement", "residential", "hospital", "assessments",
              "assessment_target_days", "package_target_days", "older_people_cohort", "children_cohort"});
    IndicatorMap& m = s_.indicators;
    const std::pair<const char*, int*> services[] = {{"referrals", &m.referrals},   {"child_protection", &m.child_protection},
                                                     {"looked_after", &m.looked_after}, {"reablement", &m.reablement},
                                                     {"residential", &m.residential}, {"hospital", &m.hospital}};
    for (const auto& [key, target] : services)
      if (const Node* v = f.get(key)) *target = service_ref(*v, f.field(key));
    if (const Node* a = f.get("assessments")) m.assessments = refs(*a, f.field("assessments"), "service", services_);
    if (const Node* t = f.get("assessment_target_days")) m.assessment_target_days = positive(*t, f.field("assessment_target_days"));
    if (const Node* t = f.get("package_target_days")) m.package_target_days = positive(*t, f.field("package_target_days"));
    if (const Node* c = f.get("older_people_cohort")) m.older_cohort = resolve(*c, f.field("older_people_cohort"), "cohort", cohorts_);
    if (const Node* c = f.get("children_cohort")) m.children_cohort = resolve(*c, f.field("children_cohort"), "cohort", cohorts_);
  }
};

// ---------------------------------------------------------------------------------------
// Files, versions and `extend:`.

struct Chain {
  std::vector<fs::path> identities;  // canonical paths of the files being read, outermost first
  std::vector<std::string> names;    // as shown in messages
};

fs::path identity_of(const fs::path& p) {
  std::error_code ec;
  fs::path id = fs::weakly_canonical(p, ec);
  return ec ? fs::absolute(p).lexically_normal() : id;
}

const std::vector<std::string> kTopLevelFields = {"careflow", "name",     "description", "extend",   "run",
                                                  "need_levels", "governance", "handoffs", "economics", "agencies",
                                                  "pools",    "cohorts",  "services",    "discharge_checks", "indicators",
                                                  "transforms"};

/// A quote left open swallows the lines after it into one text, and the real error is then
/// far away ("missing required field 'services'"). A quoted text holding "services: ..." is
/// that mistake: say so, at the line where the quote opened.
void check_runaway_quotes(const Node& n, const std::string& path) {
  if (n.type == Node::Type::Scalar && n.quoted) {
    for (const std::string& key : kTopLevelFields) {
      if (key == "careflow" || key == "name" || key == "description") continue;  // words of ordinary text
      // " run: {" or " agencies: - {": a section's value, which ordinary text does not hold.
      const std::string written = " " + key + ":";
      bool swallowed = n.scalar.ends_with(written);
      for (const char* next : {" {", " [", " -"})
        swallowed = swallowed || n.scalar.find(written + next) != std::string::npos;
      if (swallowed)
        fail(n, path,
             "this quoted text runs on over the following lines and swallows '" + key +
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
             std::to_string(kScenarioFormatVersion) + "'");
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
  const std::size_t start = check_text(text, file);
  YAML::Node doc;
  try {
    doc = YAML::Load(text.c_str() + start);
  } catch (const YAML::DeepRecursion& e) {
    const int line = e.mark.line >= 0 ? e.mark.line + 1 : 1;
    fail(file, line, field_at_line(std::string_view(text).substr(start), line),
         "brackets or indentation nested more than " + std::to_string(e.depth()) +
             " levels deep; a scenario nests a few levels (is a bracket left open, or repeated?)");
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line >= 0 ? e.mark.line + 1 : 1;
    fail(file, line, field_at_line(std::string_view(text).substr(start), line),
         "YAML syntax error: " + e.msg +
             " (the mistake may be on this line or just before it: indentation, an unclosed bracket or quote, a tab)");
  }
  NodeBudget budget;
  Node root = convert(doc, file, 1, "", budget);
  if (root.type == Node::Type::Null)
    fail(file, 1, "careflow",
         std::string(text.find_first_not_of(" \t\r\n", start) == std::string::npos ? "the file is empty"
                                                                                     : "the file holds only comments") +
             "; expected a scenario starting with 'careflow: " + std::to_string(kScenarioFormatVersion) + "'");
  if (root.type != Node::Type::Map)
    fail(root, "", "expected a scenario: a map of fields starting with 'careflow: 1'; found " + found(root));
  check_runaway_quotes(root, "");
  check_version(root);

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
  chain.identities.push_back(id);
  chain.names.push_back(shown);
  Node base = load_tree(base_text, shown, path.parent_path(), chain);
  chain.identities.pop_back();
  chain.names.pop_back();
  root.entries.erase(ext);
  return merge(std::move(base), root, "");
}

std::string emit_text(const Node& root, const std::vector<std::string>& files) {
  YAML::Emitter out;
  out.SetIndent(2);
  if (files.size() > 1) {
    std::string merged = "merged from";
    for (const auto& f : files) merged += " " + f;
    out << YAML::Comment(merged) << YAML::Newline;
  }
  emit(out, root);
  if (!out.good()) throw std::runtime_error("cannot re-emit the scenario as YAML: " + out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

void collect_files(const Node& n, std::vector<std::string>& files) {
  if (std::find(files.begin(), files.end(), n.file) == files.end()) files.push_back(n.file);
  for (const Node& i : n.items) collect_files(i, files);
  for (const Entry& e : n.entries) collect_files(e.value, files);
}

}  // namespace

Scenario parse_scenario(const std::string& yaml_text, const std::string& file_name, const std::string& base_dir) {
  Chain chain;
  const fs::path dir = base_dir.empty() ? fs::path(".") : fs::path(base_dir);
  chain.identities.push_back(identity_of(dir / fs::path(file_name).filename()));
  chain.names.push_back(file_name);
  const Node root = load_tree(yaml_text, file_name, dir, chain);

  Scenario s = Builder().build(root);
  std::vector<std::string> files;
  collect_files(root, files);
  s.source_text = emit_text(root, files);
  s.source_file = file_name;
  validate_scenario(s);  // pathway checks; warnings are the caller's to ask for
  return s;
}

Scenario load_scenario(const std::string& path) {
  const std::string text = read_file(path, SourceRef{path, 0, ""});
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  return parse_scenario(text, path, dir.string());
}

}  // namespace careflow::models

namespace careflow::models {

TransformSpec parse_transform(const std::string& words, const Scenario& s, const std::string& origin) {
  // "name key=value key=a,b" -> the same tree a scenario file would give.
  Node item;
  item.type = Node::Type::Map;
  item.file = origin;
  item.line = 0;
  std::istringstream in(words);
  std::string token;
  bool first = true;
  auto scalar = [&](const std::string& text) {
    Node n;
    n.type = Node::Type::Scalar;
    n.scalar = text;
    n.file = origin;
    return n;
  };
  while (in >> token) {
    Entry e;
    if (first) {
      e.key = "name";
      e.value = scalar(token);
      first = false;
    } else {
      const auto eq = token.find('=');
      if (eq == std::string::npos || eq == 0)
        throw ScenarioError(SourceRef{origin, 0, "transform"}, "expected key=value after the transform name, found '" + token + "'");
      e.key = token.substr(0, eq);
      const std::string value = token.substr(eq + 1);
      if (value.find(',') != std::string::npos) {
        e.value.type = Node::Type::Sequence;
        e.value.file = origin;
        std::istringstream parts(value);
        std::string part;
        while (std::getline(parts, part, ',')) e.value.items.push_back(scalar(part));
      } else {
        e.value = scalar(value);
      }
    }
    item.entries.push_back(std::move(e));
  }
  if (first) throw ScenarioError(SourceRef{origin, 0, "transform"}, "expected a transform name, found nothing");
  return read_transform(item, "transforms[0]", s);
}

}  // namespace careflow::models
