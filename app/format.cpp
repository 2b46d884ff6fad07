#include "format.hpp"

#include <fmt/core.h>

#include <cmath>

namespace careflow::app {

std::string number(double x, int decimals) {
  if (std::isnan(x)) return "–";
  return fmt::format("{:.{}f}", x, decimals);
}

int decimals_for(const std::string& unit, double value) {
  if (unit == "£") return 0;
  if (std::abs(value) >= 1000) return 0;
  if (std::abs(value) >= 10) return 1;
  return 2;
}

std::string ci_text(const ConfidenceInterval& ci, int decimals) {
  if (ci.n == 0 || std::isnan(ci.mean)) return "–";
  if (ci.n < 2 || std::isnan(ci.half_width)) return number(ci.mean, decimals);
  return fmt::format("{} ± {}", number(ci.mean, decimals), number(ci.half_width, decimals));
}

std::string signed_ci(const ConfidenceInterval& ci, const std::string& unit) {
  if (ci.n == 0 || std::isnan(ci.mean)) return "–";
  const int d = decimals_for(unit, ci.mean);
  std::string text = ci.mean >= 0 ? "+" : "";  // then appended: `"+" + number(...)` draws a false -Wrestrict from g++ 12
  text += number(ci.mean, d);
  if (!std::isnan(ci.half_width)) text += " ± " + number(ci.half_width, d);
  return text;
}

std::string money(const ConfidenceInterval& ci) {
  if (ci.n == 0 || std::isnan(ci.mean)) return "–";
  auto m = [](double x) { return std::abs(x) >= 1e6 ? fmt::format("£{:.2f}m", x / 1e6) : fmt::format("£{:.0f}", x); };
  if (ci.n < 2 || std::isnan(ci.half_width)) return m(ci.mean);
  return fmt::format("{} ± {}", m(ci.mean), m(ci.half_width));
}

std::string size_text(std::size_t bytes) {
  return bytes >= (1u << 20) ? fmt::format("{:.1f} MB", static_cast<double>(bytes) / (1 << 20))
                             : fmt::format("{:.0f} kB", static_cast<double>(bytes) / 1024);
}

}  // namespace careflow::app
