// Located YAML (located_yaml.hpp), its text: checks before yaml-cpp sees the bytes, yaml-cpp's
// tree copied into ours with the file and line of every value, emitting and merging. Typed
// reading and suggestions are in located_values.cpp.
#include "scenario/located_yaml.hpp"

#include <yaml-cpp/depthguard.h>  // YAML::DeepRecursion
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <limits>
#include <set>
#include <sstream>
#include <system_error>
#include <unordered_set>

namespace careflow::models::located {
namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxFileBytes = 64u << 20;  // a scenario is text, never this big
constexpr std::size_t kMaxItemNameLength = 64;      // a longer "- name:" value is not taken for an item name

}  // namespace

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

Node scalar_node(std::string text, const std::string& file, int line, bool quoted) {
  Node n = empty_node(Node::Type::Scalar, file, line);
  n.scalar = std::move(text);
  n.quoted = quoted;
  return n;
}

Node text_node(std::string text, const std::string& file, int line) {
  // Plain where YAML reads the plain word back as this text; quoted where it would read it as a
  // number, a boolean, null, a list or map, or not at all.
  static const std::set<std::string, std::less<>> words = {"true", "false", "yes", "no",   "on",   "off",  "null", "~",
                                                           "True", "False", "Null", "NULL", "TRUE", "FALSE", "Yes",
                                                           "No",   "YES",  "NO",   "On",   "Off",  "ON",   "OFF"};
  bool plain = !text.empty() && !parse_double(text) && !words.count(text);
  if (plain) {
    try {
      const YAML::Node y = YAML::Load(text);
      plain = y.IsScalar() && y.Scalar() == text && y.Tag() == "?";
    } catch (const YAML::Exception&) {
      plain = false;
    }
  }
  return scalar_node(std::move(text), file, line, !plain);
}

Node empty_node(Node::Type type, const std::string& file, int line) {
  Node n;
  n.type = type;
  n.file = file;
  n.line = line;
  return n;
}

// ---------------------------------------------------------------------------------------
// Reading files and checking bytes.

std::string read_file(const fs::path& path, const SourceRef& blame) {
  auto refuse = [&](const std::string& message) { throw ScenarioError(blame, message, ScenarioProblem::Text); };
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

std::size_t bom_length(std::string_view text) {
  return text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF && static_cast<unsigned char>(text[1]) == 0xBB &&
                 static_cast<unsigned char>(text[2]) == 0xBF
             ? 3
             : 0;
}

/// Block-style files, which is how scenarios are written, give the exact path
/// ("services[front_door].capacity"); flow style gives the enclosing field. Empty when no field
/// precedes the line.
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
      if (!v.empty() && v.size() <= kMaxItemNameLength && v.find_first_of("{}[]#:") == std::string_view::npos) {
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

namespace {

std::string hex_byte(unsigned char c) {
  static const char* digits = "0123456789ABCDEF";
  return std::string("0x") + digits[c >> 4] + digits[c & 15];
}

/// Refuses text that is not UTF-8 or holds control characters (a binary file, a wrong
/// encoding) before yaml-cpp sees it, naming the line. Returns the offset past a BOM.
std::size_t check_text(const std::string& text, const std::string& file) {
  if (text.size() >= 2 && ((static_cast<unsigned char>(text[0]) == 0xFF && static_cast<unsigned char>(text[1]) == 0xFE) ||
                           (static_cast<unsigned char>(text[0]) == 0xFE && static_cast<unsigned char>(text[1]) == 0xFF)))
    fail(file, 1, "", "the file is UTF-16 text (it starts with a UTF-16 byte-order mark); save scenarios as UTF-8",
         ScenarioProblem::Text);
  const std::size_t start = bom_length(text);
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
                 "; is this a binary file? A scenario is UTF-8 text",
             ScenarioProblem::Text);
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
               "; is this a binary file, or saved in another encoding? Save scenarios as UTF-8",
           ScenarioProblem::Text);
    i += len;
  }
  return start;
}

// ---------------------------------------------------------------------------------------
// yaml-cpp → our tree.

/// Values that YAML aliases (*name) produce. An alias repeats what it refers to, and copying it
/// into our tree multiplies: nine aliases of nine aliases ... of a list is a 200-byte file that
/// expands to a billion values ("billion laughs"). Past kMaxExpansion values made by aliases the
/// file is refused instead of exhausting memory. Values written out count nothing here (the
/// file itself is at most kMaxFileBytes), so 25,000 services written one by one load.
constexpr std::size_t kMaxExpansion = 200'000;
// A scenario nests a few levels (services > routes > when > need_levels); an alias that refers
// to itself (`&a [*a]`) makes a cycle that would otherwise recurse until the stack overflows.
constexpr int kMaxDepth = 64;

/// Copies one file's yaml-cpp tree into ours, counting the values aliases make, and depth.
class Converter {
 public:
  explicit Converter(const std::string& file) : file_(file) {}

  Node convert(const YAML::Node& y, int fallback_line, const std::string& path) {
    struct Deeper {
      int& depth;
      explicit Deeper(int& d) : depth(++d) {}
      ~Deeper() { --depth; }
    } deeper(depth_);
    const int line = y.Mark().line >= 0 ? y.Mark().line + 1 : fallback_line;
    if (depth_ > kMaxDepth)
      fail(file_, line, path.size() > 48 ? path.substr(0, 48) + "..." : path,
           "values nest more than " + std::to_string(kMaxDepth) +
               " levels deep (an alias such as *name inside the value it names repeats it forever); "
               "a scenario nests a few levels",
           ScenarioProblem::Text);
    // yaml-cpp gives an alias the very node it names, mark and all: a value whose place in the
    // text was seen before is a copy (the anchor comes first in the text, and so in this walk).
    const bool valued = y.Type() != YAML::NodeType::Null && y.Type() != YAML::NodeType::Undefined;
    if (valued && y.Mark().pos >= 0 && !seen_.insert(y.Mark().pos).second && ++expanded_ > kMaxExpansion)
      fail(file_, line, path,
           "YAML aliases expand the file by more than " + std::to_string(kMaxExpansion) +
               " values (an alias such as *name repeats what it refers to, and aliases of aliases multiply); "
               "a scenario is far smaller",
           ScenarioProblem::Text);
    Node n;
    n.file = file_;
    n.line = line;
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
      case YAML::NodeType::Sequence: sequence(y, path, n); break;
      case YAML::NodeType::Map: map(y, path, n); break;
    }
    return n;
  }

 private:
  void sequence(const YAML::Node& y, const std::string& path, Node& n) {
    n.type = Node::Type::Sequence;
    std::size_t i = 0;
    for (const YAML::Node& item : y) n.items.push_back(convert(item, n.line, at_index(path, i++)));
  }

  void map(const YAML::Node& y, const std::string& path, Node& n) {
    n.type = Node::Type::Map;
    for (const auto& kv : y) {
      const int key_line = kv.first.Mark().line >= 0 ? kv.first.Mark().line + 1 : n.line;
      if (!kv.first.IsScalar())
        fail(file_, key_line, path, "a field name must be plain text, found a list or map", ScenarioProblem::Text);
      const std::string key = kv.first.Scalar();
      if (const Entry* prev = n.find(key))
        fail(file_, key_line, join(path, key),
             "field '" + key + "' appears twice in the same map (first on line " + std::to_string(prev->key_line) +
                 "); keep one",
             ScenarioProblem::Text);
      n.entries.push_back(Entry{key, key_line, convert(kv.second, key_line, join(path, key))});
    }
  }

  const std::string& file_;
  std::unordered_set<int> seen_;  // places in the text of the values converted
  std::size_t expanded_ = 0;      // values that are copies made by aliases
  int depth_ = 0;                 // of the value being converted
};

}  // namespace

Node parse(const std::string& text, const std::string& file) {
  const std::size_t start = check_text(text, file);
  YAML::Node doc;
  try {
    doc = YAML::Load(text.c_str() + start);
  } catch (const YAML::DeepRecursion& e) {
    const int line = e.mark.line >= 0 ? e.mark.line + 1 : 1;
    fail(file, line, field_at_line(std::string_view(text).substr(start), line),
         "brackets or indentation nested more than " + std::to_string(e.depth()) +
             " levels deep; a scenario nests a few levels (is a bracket left open, or repeated?)",
         ScenarioProblem::Text);
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line >= 0 ? e.mark.line + 1 : 1;
    fail(file, line, field_at_line(std::string_view(text).substr(start), line),
         "YAML syntax error: " + e.msg +
             " (the mistake may be on this line or just before it: indentation, an unclosed bracket or quote, a tab)",
         ScenarioProblem::Text);
  }
  return Converter(file).convert(doc, 1, "");
}

namespace {

void place(Node& n, const std::string& file, int line) {
  n.file = file;
  n.line = line;
  for (Node& i : n.items) place(i, file, line);
  for (Entry& e : n.entries) {
    e.key_line = line;
    place(e.value, file, line);
  }
}

}  // namespace

Node parse_value(const std::string& text, const std::string& file, int line, const std::string& field) {
  YAML::Node doc;
  try {
    doc = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail(file, line, field,
         "cannot read '" + text + "' as a value (" + e.msg + "); write a number, a name, [a, b] or {key: value}");
  }
  Node n = Converter(file).convert(doc, line, field);
  place(n, file, line);
  return n;
}

// ---------------------------------------------------------------------------------------
// Our tree → YAML text (Scenario::source_text), and a short flow rendering for messages.

/// Small maps and lists of scalars (a few scalars, nesting at most 3 deep) are written on one line,
/// as people write them ({exponential: {mean: 3}}); anything larger stays in block style.
/// Returns the number of scalars, or -1 when the node is too big or deep for one line.
namespace {

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

}  // namespace

std::string emit_text(const Node& root, const std::string& comment) {
  YAML::Emitter out;
  out.SetIndent(2);
  if (!comment.empty()) out << YAML::Comment(comment) << YAML::Newline;
  emit(out, root);
  if (!out.good()) throw std::runtime_error("cannot write the scenario as YAML: " + out.GetLastError());
  std::string text = out.c_str();
  text += "\n";
  return text;
}

std::string flow_text(const Node& n) {
  YAML::Emitter out;
  out << YAML::Flow;
  emit(out, n, true);
  return out.c_str();
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
      std::string s = flow_text(n);
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

Node merge(Node base, const Node& over, std::string_view key, ReplacedWhole replaced_whole) {
  if (base.type == Node::Type::Map && over.type == Node::Type::Map && !replaced_whole(key, base, over)) {
    for (const Entry& e : over.entries) {
      if (Entry* mine = base.find(e.key)) {
        const bool deep = mine->value.type == Node::Type::Map && e.value.type == Node::Type::Map &&
                          !replaced_whole(e.key, mine->value, e.value);
        const bool by_name = is_named_list(mine->value) && is_named_list(e.value);
        if (deep || by_name) mine->value = merge(std::move(mine->value), e.value, e.key, replaced_whole);
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
      if (same != base.items.end()) *same = merge(std::move(*same), item, "", replaced_whole);
      else base.items.push_back(item);
    }
    return base;
  }
  return over;
}

}  // namespace careflow::models::located
