// libFuzzer target over the scenario workbook reader: any bytes, written to a file and read as
// a workbook, must either load and pass validate_scenario or be refused with a ScenarioError
// (which is what the reader's XlsxError becomes). Anything else -- another exception, a crash,
// a sanitizer report, a hang, memory past -rss_limit_mb -- is a bug.
//
// Two kinds of input, so that mutations reach both the zip and the XML inside it:
//   - bytes that start like a zip ("PK") are the workbook file itself;
//   - anything else is a list of parts, each "--part NAME\n" followed by its text up to the
//     next such line, which the target stores in a zip (with correct CRCs) before reading it.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "careflow/models/scenario.hpp"
#include "careflow/models/scenario_loader.hpp"
#include "careflow/sheets/scenario_workbook.hpp"
#include "sheets/stored_zip.hpp"

namespace {

std::vector<std::pair<std::string, std::string>> parts_of(std::string_view text) {
  constexpr std::string_view kMark = "--part ";
  std::vector<std::pair<std::string, std::string>> parts;
  std::size_t at = text.rfind(kMark, 0) == 0 ? 0 : text.find("\n" + std::string(kMark));
  if (at != 0 && at != std::string_view::npos) ++at;
  while (at != std::string_view::npos) {
    const std::size_t name_end = text.find('\n', at);
    if (name_end == std::string_view::npos) break;
    std::string name(text.substr(at + kMark.size(), name_end - at - kMark.size()));
    std::size_t next = text.find("\n" + std::string(kMark), name_end);
    const std::size_t end = next == std::string_view::npos ? text.size() : next;
    parts.emplace_back(std::move(name), std::string(text.substr(name_end + 1, end - name_end - 1)));
    at = next == std::string_view::npos ? next : next + 1;
  }
  return parts;
}

const std::string& scratch_file() {
  static const std::string path =
      (std::filesystem::temp_directory_path() / ("careflow-fuzz-workbook-" + std::to_string(::getpid()) + ".xlsx")).string();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace models = careflow::models;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  {
    std::ofstream out(scratch_file(), std::ios::binary | std::ios::trunc);
    if (input.rfind("PK", 0) == 0) out << input;
    else out << careflow::testing::stored_zip(parts_of(input));
  }
  try {
    const models::Scenario s = careflow::sheets::load_scenario_workbook(scratch_file());
    (void)models::validate_scenario(s);
    (void)models::traffic_equations(s);
    (void)models::estimate_run(s);
  } catch (const models::ScenarioError&) {
    // Refused with the file and, where there is one, the sheet, row and column.
  }
  std::error_code ec;
  std::filesystem::remove(scratch_file(), ec);
  return 0;
}
