// Located YAML (located_yaml.hpp), its values: typed readers whose errors name file, line and
// field, maps of known fields, and suggestions for misspelt names.
#include "scenario/located_yaml.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>
#include <system_error>

namespace careflow::models::located {
namespace {

constexpr std::size_t kMaxSuggestedLength = 64;  // longest name we look for typos in

}  // namespace

[[noreturn]] void fail(const std::string& file, int line, const std::string& field, const std::string& message,
                       ScenarioProblem problem) {
  throw ScenarioError(SourceRef{file, line, field}, message, problem);
}
[[noreturn]] void fail(const Node& n, const std::string& field, const std::string& message, ScenarioProblem problem) {
  fail(n.file, n.line, field, message, problem);
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

namespace {

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

}  // namespace

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

std::string suggestion(std::string_view word, const std::vector<std::string>& candidates) {
  if (auto best = nearest(word, candidates)) return "; did you mean '" + *best + "'?";
  if (candidates.empty()) return "";
  if (candidates.size() <= 16) return "; expected one of: " + list_words(candidates);
  return "";
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

std::vector<double> numbers(const Node& n, const std::string& field, const std::string& of) {
  sequence(n, field, of);
  std::vector<double> v;
  for (std::size_t i = 0; i < n.items.size(); ++i) v.push_back(number(n.items[i], at_index(field, i)));
  return v;
}

// ---------------------------------------------------------------------------------------
// Maps of known fields.

Fields::Fields(const Node& n, std::string path, std::vector<std::string> allowed, const std::string& what)
    : node_(n), path_(std::move(path)), allowed_(std::move(allowed)) {
  check(what);
}

Fields::Fields(const Node& n, std::string path, std::initializer_list<std::string_view> allowed, const std::string& what)
    : node_(n), path_(std::move(path)), allowed_(allowed.begin(), allowed.end()) {
  check(what);
}

void Fields::check(const std::string& what) const {
  if (node_.type != Node::Type::Map) fail(node_, path_, "expected " + what + ", found " + found(node_));
  for (const Entry& e : node_.entries)
    if (std::find(allowed_.begin(), allowed_.end(), e.key) == allowed_.end())
      fail(e.value.file, e.key_line, join(path_, e.key), "unknown field '" + e.key + "'" + suggestion(e.key, allowed_),
           ScenarioProblem::UnknownField);
}

const Node& Fields::need(std::string_view key, const std::string& hint) const {
  if (const Node* n = node_.get(key)) return *n;
  fail(node_, field(key), "missing required field '" + std::string(key) + "'" + hint, ScenarioProblem::MissingField);
}

}  // namespace careflow::models::located
