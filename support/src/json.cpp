#include "careflow/support/json.hpp"

#include <fmt/core.h>

#include <cmath>
#include <stdexcept>

namespace careflow::support::json {

std::string quoted(std::string_view s, const Style& style) {
  std::string o = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      o += '\\';
      o += c;
    } else if (u < 0x20 || (style.in_script && (c == '<' || c == '>' || c == '&'))) {
      o += fmt::format("\\u{:04x}", static_cast<int>(u));  // `<` too in a script: no "</script>" inside
    } else {
      o += c;
    }
  }
  return o + "\"";
}

std::string number(double x, const Style& style) {
  if (!std::isfinite(x)) return "null";
  if (style.whole_numbers_in_full && x == std::round(x) && std::abs(x) < 1e15) return fmt::format("{:.0f}", x);
  return fmt::format("{:.{}g}", x, style.digits);
}

void Writer::write_break() {
  if (pending_break_ < 0) return;
  out_ += '\n';
  out_.append(static_cast<std::size_t>(pending_break_), ' ');
  pending_break_ = -1;
}

void Writer::start_item() {
  if (after_key_) {  // the value of a member: its key has placed everything before it
    after_key_ = false;
    return;
  }
  if (levels_.empty()) {
    if (!out_.empty()) throw std::logic_error("json::Writer: a second value at the top level");
    write_break();
    return;
  }
  if (levels_.back().object) throw std::logic_error("json::Writer: a value in an object without its key");
  separate(levels_.back());
}

void Writer::separate(Level& level) {
  if (level.has_items) out_ += ',';
  if (pending_break_ >= 0) write_break();
  else if (level.has_items && style_.spaced) out_ += ' ';
  level.has_items = true;
}

Writer& Writer::open(char bracket, bool object) {
  start_item();
  out_ += bracket;
  levels_.push_back(Level{object, false});
  return *this;
}

Writer& Writer::close(char bracket, bool object) {
  if (levels_.empty() || levels_.back().object != object || after_key_)
    throw std::logic_error(std::string("json::Writer: unmatched '") + bracket + "'");
  write_break();
  out_ += bracket;
  levels_.pop_back();
  return *this;
}

Writer& Writer::key(std::string_view name) {
  if (levels_.empty() || !levels_.back().object || after_key_)
    throw std::logic_error("json::Writer: a key outside an object, or two keys in a row");
  separate(levels_.back());
  out_ += quoted(name, style_);
  out_ += style_.spaced ? ": " : ":";
  after_key_ = true;
  return *this;
}

Writer& Writer::scalar(std::string_view text) {
  start_item();
  out_ += text;
  return *this;
}

Writer& Writer::value(std::string_view s) { return scalar(quoted(s, style_)); }
Writer& Writer::value(double x) { return scalar(number(x, style_)); }
Writer& Writer::value(bool b) { return scalar(b ? "true" : "false"); }
Writer& Writer::null() { return scalar("null"); }

Writer& Writer::line_break(int indent) {
  pending_break_ = indent < 0 ? 0 : indent;
  return *this;
}

}  // namespace careflow::support::json
