// The one JSON writer of careflow: `careflow run --json` and `compare --json` (a document people
// read: ", " and ": ", ten significant digits) and the data the animation and report pages embed
// (compact, six digits, safe inside an HTML <script>). Both spellings are pinned byte for byte
// (tests/golden, tests/browser), so a Style says exactly how numbers and strings are written.
//
//   json::Writer w(json::kReadable);
//   w.begin_object().key("scenario").value(name).key("metrics").begin_array();
//   for (...) w.line_break(2).begin_object().key("mean").value(mean).end_object();
//   w.line_break(0).end_array().end_object();
//   std::string text = std::move(w).take();
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace careflow::support::json {

/// How a document is spelled.
struct Style {
  /// ", " between items and ": " after keys (a document people read), or "," and ":".
  bool spaced = false;
  /// Significant digits of a number (printf's %.<digits>g).
  int digits = 10;
  /// Whole numbers below 1e15 written out in full ("120000", not "1.2e+05").
  bool whole_numbers_in_full = false;
  /// `<`, `>` and `&` written as \u003c, \u003e and \u0026: the JSON may sit inside a <script>.
  bool in_script = false;
};

/// `careflow run --json` and `compare --json`.
inline constexpr Style kReadable{.spaced = true, .digits = 10, .whole_numbers_in_full = false, .in_script = false};
/// The data embedded in the animation and report pages (viz/).
inline constexpr Style kPageData{.spaced = false, .digits = 6, .whole_numbers_in_full = true, .in_script = true};

/// `s` as a JSON string, quotes included: `"` and `\` backslashed, control characters (and, in
/// a script, `<`, `>`, `&`) as \u00XX; other bytes, UTF-8 included, as they are.
std::string quoted(std::string_view s, const Style& style);
/// `x` as a JSON number, `null` when it is not finite (NaN stands for "undefined" in careflow).
std::string number(double x, const Style& style);

/// Writes one JSON value (usually an object) into a string, placing the separators itself.
/// Misuse (a key outside an object, a value after a value in an object, an unmatched end)
/// throws std::logic_error.
class Writer {
 public:
  explicit Writer(const Style& style) : style_(style) {}

  Writer& begin_object() { return open('{', true); }
  Writer& end_object() { return close('}', true); }
  Writer& begin_array() { return open('[', false); }
  Writer& end_array() { return close(']', false); }
  /// The next member's name (in an object); its value follows.
  Writer& key(std::string_view name);

  Writer& value(std::string_view s);
  Writer& value(const char* s) { return value(std::string_view(s)); }
  Writer& value(double x);
  Writer& value(bool b);
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  Writer& value(T x) { return scalar(std::to_string(x)); }
  Writer& null();
  /// An array of `items`, each written with value().
  template <class T>
  Writer& array(const std::vector<T>& items) {
    begin_array();
    for (const T& x : items) value(x);
    return end_array();
  }

  /// The next item, or the closing bracket, starts a new line indented by `indent` spaces (after
  /// the comma that separates it from the item before, with no space before the line's end).
  Writer& line_break(int indent);

  const std::string& text() const& { return out_; }
  std::string take() && { return std::move(out_); }

 private:
  struct Level {
    bool object = false;
    bool has_items = false;
  };
  void start_item();            // the separator and any line break before a value
  void separate(Level& level);  // ... before an item of `level` (a value, or a member's key)
  Writer& open(char bracket, bool object);
  Writer& close(char bracket, bool object);
  void write_break();
  Writer& scalar(std::string_view text);  // a number, true, false, null or a quoted string

  Style style_;
  std::string out_;
  std::vector<Level> levels_;
  bool after_key_ = false;
  int pending_break_ = -1;  // >= 0: indent of the line the next item or bracket starts
};

}  // namespace careflow::support::json
