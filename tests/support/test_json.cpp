// The one JSON writer (support/json.hpp): its two spellings, pinned here character for character
// because `careflow run --json` is a golden output and the pages' scripts parse the other.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "careflow/support/json.hpp"

namespace json = careflow::support::json;

TEST_CASE("strings are quoted with quotes, backslashes and control characters escaped", "[support][json]") {
  CHECK(json::quoted("plain", json::kReadable) == "\"plain\"");
  CHECK(json::quoted("say \"hi\" \\ bye", json::kReadable) == R"("say \"hi\" \\ bye")");
  CHECK(json::quoted("a\nb\tc\x01", json::kReadable) == R"("a\u000ab\u0009c\u0001")");
  CHECK(json::quoted("£ ▲ é", json::kReadable) == "\"£ ▲ é\"");  // UTF-8 as it is
  CHECK(json::quoted("", json::kPageData) == "\"\"");
}

TEST_CASE("inside a script, <, > and & are escaped too, elsewhere they are not", "[support][json]") {
  CHECK(json::quoted("</script>&", json::kPageData) == R"("\u003c/script\u003e\u0026")");
  CHECK(json::quoted("</script>&", json::kReadable) == "\"</script>&\"");
}

TEST_CASE("numbers: ten digits to read, six and whole numbers in full in the pages, null when undefined",
          "[support][json]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(json::number(1.0 / 3, json::kReadable) == "0.3333333333");
  CHECK(json::number(1234567.0, json::kReadable) == "1234567");
  CHECK(json::number(1e15, json::kReadable) == "1e+15");
  CHECK(json::number(12345678901.0, json::kReadable) == "1.23456789e+10");
  CHECK(json::number(nan, json::kReadable) == "null");
  CHECK(json::number(-inf, json::kReadable) == "null");
  CHECK(json::number(1.0 / 3, json::kPageData) == "0.333333");
  CHECK(json::number(120000.0, json::kPageData) == "120000");
  CHECK(json::number(12345678901.0, json::kPageData) == "12345678901");
  CHECK(json::number(1e15, json::kPageData) == "1e+15");
  CHECK(json::number(1234567.5, json::kPageData) == "1.23457e+06");
  CHECK(json::number(-2.0, json::kPageData) == "-2");
  CHECK(json::number(inf, json::kPageData) == "null");
}

TEST_CASE("compact objects and arrays, with integers, booleans and null", "[support][json]") {
  json::Writer w(json::kPageData);
  w.begin_object().key("name").value("a<b").key("n").value(std::size_t{3}).key("k").value(-4);
  w.key("ok").value(true).key("none").null().key("xs").array(std::vector<double>{0.5, 2, std::nan("")});
  w.key("empty").begin_array().end_array().key("o").begin_object().end_object().end_object();
  CHECK(w.text() == R"({"name":"a\u003cb","n":3,"k":-4,"ok":true,"none":null,"xs":[0.5,2,null],"empty":[],"o":{}})");
}

TEST_CASE("the readable spelling: spaces after commas and colons, line breaks where asked", "[support][json]") {
  json::Writer w(json::kReadable);
  w.begin_object().key("scenario").value("s").key("seed").value(std::uint64_t{7}).key("metrics").begin_array();
  for (double x : {1.5, 2.0}) w.line_break(2).begin_object().key("mean").value(x).key("n").value(2u).end_object();
  w.line_break(0).end_array().end_object();
  CHECK(std::move(w).take() == "{\"scenario\": \"s\", \"seed\": 7, \"metrics\": [\n  {\"mean\": 1.5, \"n\": 2},\n  {\"mean\": 2, \"n\": 2}\n]}");

  json::Writer empty(json::kReadable);
  empty.begin_object().key("rows").begin_array().line_break(0).end_array().key("more").begin_array().end_array().end_object();
  CHECK(empty.text() == "{\"rows\": [\n], \"more\": []}");
}

TEST_CASE("misuse of the writer is refused, not written", "[support][json]") {
  json::Writer a(json::kReadable);
  a.begin_object();
  CHECK_THROWS_AS(a.value(1), std::logic_error);  // a member without its key
  CHECK_THROWS_AS(a.end_array(), std::logic_error);
  a.key("k");
  CHECK_THROWS_AS(a.key("again"), std::logic_error);
  CHECK_THROWS_AS(a.end_object(), std::logic_error);  // the key's value is missing

  json::Writer b(json::kPageData);
  CHECK_THROWS_AS(b.key("k"), std::logic_error);  // no object open
  b.value(1.0);
  CHECK_THROWS_AS(b.value(2.0), std::logic_error);  // one value at the top level
  CHECK_THROWS_AS(b.end_object(), std::logic_error);
}
