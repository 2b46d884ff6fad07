// The vocabularies and column tables are declared once (models/vocabulary.hpp, records.hpp);
// these tests fail when a table and one of its consumers disagree: the results-format docs, the
// pages' scripts (which must read tiers and track states from the page's data, never spell them).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "careflow/models/records.hpp"
#include "careflow/models/vocabulary.hpp"

using namespace careflow;
using namespace careflow::models;

namespace {

std::string read_source(const std::string& relative) {
  const auto path = std::filesystem::path(__FILE__).parent_path() / "../.." / relative;
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <class E>
void check_vocabulary() {
  std::set<std::string_view> seen;
  for (const auto& t : terms<E>()) {
    CHECK(seen.insert(t.name).second);  // names unique
    CHECK(parse_term<E>(t.name) == t.value);
    CHECK(name_of(t.value) == t.name);
    CHECK(!t.meaning.empty());
  }
  CHECK_FALSE(parse_term<E>("no such name").has_value());
}

// The rows of the Markdown table that follows `heading` in docs/results-format.md: the first cell
// of each row (a `name`) and the rest.
std::vector<std::vector<std::string>> doc_table(const std::string& doc, const std::string& heading) {
  const auto at = doc.find(heading);
  REQUIRE(at != std::string::npos);
  std::istringstream in(doc.substr(at));
  std::string line;
  std::vector<std::vector<std::string>> rows;
  bool in_table = false;
  while (std::getline(in, line)) {
    if (line.rfind("|", 0) != 0) {
      if (in_table) break;
      continue;
    }
    in_table = true;
    if (line.rfind("|---", 0) == 0) continue;
    std::vector<std::string> cells;
    std::size_t p = 1;
    while (p < line.size()) {
      const auto q = line.find(" | ", p);
      std::string cell = line.substr(p, q == std::string::npos ? line.size() - 1 - p : q - p);
      while (!cell.empty() && cell.front() == ' ') cell.erase(0, 1);
      while (!cell.empty() && (cell.back() == ' ' || cell.back() == '|')) cell.pop_back();
      cells.push_back(cell);
      if (q == std::string::npos) break;
      p = q + 3;
    }
    rows.push_back(cells);
  }
  REQUIRE(rows.size() > 1);
  rows.erase(rows.begin());  // the header row
  return rows;
}

std::string code(std::string_view name) {
  std::string out = "`";
  out.append(name).append("`");
  return out;
}

template <class R>
void check_documented(const std::string& doc) {
  std::string heading = "**`";  // appended piecewise: "x" + std::string(...) trips GCC 12's -Wrestrict
  heading.append(RecordTable<R>::name).append("`**");
  const auto rows = doc_table(doc, heading);
  const auto& columns = RecordTable<R>::columns;
  REQUIRE(rows.size() == columns.size());
  for (std::size_t i = 0; i < columns.size(); ++i) {
    INFO(RecordTable<R>::name << " column " << i);
    REQUIRE(rows[i].size() == 3);
    CHECK(rows[i][0] == code(columns[i].name));
    CHECK(rows[i][1] == name_of(columns[i].type()));
    CHECK(rows[i][2] == columns[i].meaning);
  }
}

}  // namespace

TEST_CASE("every vocabulary names each value once and parses its names back", "[vocabulary]") {
  check_vocabulary<Tier>();
  check_vocabulary<ServiceKind>();
  check_vocabulary<BudgetMode>();
  check_vocabulary<QueueDiscipline>();
  check_vocabulary<EpisodeOutcome>();
  check_vocabulary<TrackState>();
  check_vocabulary<ColumnType>();
  CHECK(term_list<Tier>() == "mainstream, intermediate, specialist or acute");
  CHECK(kCount<Tier> == 4);
  CHECK(kExit == kOutcomeExit);
  CHECK(kDied == kOutcomeDied);
}

TEST_CASE("docs/results-format.md lists every record column of the column tables", "[vocabulary][docs]") {
  const std::string doc = read_source("docs/results-format.md");
  check_documented<EpisodeRecord>(doc);
  check_documented<StepChangeRecord>(doc);
  check_documented<DelayRecord>(doc);
  check_documented<TrackPoint>(doc);

  const auto series = doc_table(doc, "**`series/`**");
  REQUIRE(series.size() == kSeriesColumns.size());
  for (std::size_t i = 0; i < series.size(); ++i) {
    CHECK(series[i][0] == code(kSeriesColumns[i].name));
    CHECK(series[i][1] == kSeriesColumns[i].unit);
    CHECK(series[i][2] == kSeriesColumns[i].meaning);
  }

  const auto outcomes = doc_table(doc, "Outcome codes (`EpisodeOutcome`)");
  REQUIRE(outcomes.size() == kEpisodeOutcomes.size());
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    CHECK(outcomes[i][0] == std::to_string(static_cast<int>(kEpisodeOutcomes[i].value)));
    std::string meaning(kEpisodeOutcomes[i].name);
    meaning.append(": ").append(kEpisodeOutcomes[i].meaning);
    CHECK(outcomes[i][1] == meaning);
  }
}

TEST_CASE("the pages' scripts take tiers and track states from the page's data", "[vocabulary][viz]") {
  for (const char* script : {"viz/web/animation.js", "viz/web/report.js"}) {
    INFO(script);
    const std::string js = read_source(script);
    CHECK(js.find("vocabulary") != std::string::npos);
    for (const auto& t : kTiers) {
      std::string quoted = "\"";
      quoted.append(t.name).append("\"");
      CHECK(js.find(quoted) == std::string::npos);
    }
    // No track state as a number literal: `state === 3` and the like.
    CHECK_FALSE(std::regex_search(js, std::regex(R"(state\s*===?\s*[0-9])")));
  }
}
