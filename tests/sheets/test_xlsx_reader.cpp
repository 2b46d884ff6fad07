// read_xlsx on workbooks written byte by byte: what a cell means when careflow must not guess
// (a formula without its result, a number shown as a date), the used range, and the limits on
// what one workbook may make careflow hold.
#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "careflow/sheets/xlsx.hpp"
#include "sheets/stored_zip.hpp"
#include "temp_dir.hpp"

using namespace careflow;
using sheets::Cell;

namespace {

const char* const kMain = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

/// A workbook of one sheet 'data' whose <sheetData> is `rows`, with optional shared strings,
/// cell formats (<numFmts> and the numFmtId of each cellXfs entry) and workbook properties.
struct Book {
  std::string rows;
  std::vector<std::string> shared;
  std::string num_fmts;            // <numFmt .../> elements
  std::vector<int> cell_formats;   // numFmtId of cellXfs 0, 1, ...
  std::string workbook_pr;         // attributes of <workbookPr>
  std::string dimension;           // <dimension ref>, if any

  std::string write(const testing::TempDir& dir, const std::string& name = "book.xlsx") const {
    std::string sst = std::string("<sst xmlns=\"") + kMain + "\">";
    for (const std::string& s : shared) sst += "<si><t>" + s + "</t></si>";
    sst += "</sst>";
    std::string styles = std::string("<styleSheet xmlns=\"") + kMain + "\"><numFmts>" + num_fmts + "</numFmts><cellXfs>";
    for (int id : cell_formats) styles += "<xf numFmtId=\"" + std::to_string(id) + "\"/>";
    styles += "</cellXfs></styleSheet>";
    const std::string rels =
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
        "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>"
        "</Relationships>";
    const std::string book = std::string("<workbook xmlns=\"") + kMain +
                             "\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><workbookPr " +
                             workbook_pr + "/><sheets><sheet name=\"data\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
    const std::string sheet = std::string("<worksheet xmlns=\"") + kMain + "\">" +
                              (dimension.empty() ? "" : "<dimension ref=\"" + dimension + "\"/>") + "<sheetData>" + rows +
                              "</sheetData></worksheet>";
    const std::string path = (dir.path / name).string();
    std::ofstream(path, std::ios::binary) << testing::stored_zip({{"xl/workbook.xml", book},
                                                     {"xl/_rels/workbook.xml.rels", rels},
                                                     {"xl/styles.xml", styles},
                                                     {"xl/sharedStrings.xml", sst},
                                                     {"xl/worksheets/sheet1.xml", sheet}});
    return path;
  }
};

std::string read_error(const std::string& path) {
  try {
    sheets::read_xlsx(path);
  } catch (const sheets::XlsxError& e) {
    return e.what();
  }
  return "";
}

const Cell& only_sheet_cell(const sheets::Workbook& wb, int row, int column) { return wb.sheets.at(0).at(row, column); }

}  // namespace

TEST_CASE("a formula whose result was never saved is an error cell, not an empty or zero one", "[sheets][xlsx]") {
  testing::TempDir dir;
  Book b;
  b.rows = "<row r=\"1\"><c r=\"A1\"><f>B1*2</f></c><c r=\"B1\"><f>1+1</f><v>2</v></c>"
           "<c r=\"C1\" t=\"str\"><f>\"\"</f><v></v></c><c r=\"D1\"><f t=\"shared\" si=\"0\"/><v></v></c></row>";
  const auto wb = sheets::read_xlsx(b.write(dir));
  const Cell& a1 = only_sheet_cell(wb, 1, 1);
  CHECK(a1.type == Cell::Type::Error);
  CHECK_THAT(a1.text, Catch::Contains("a formula =B1*2 whose result was never saved"));
  CHECK(only_sheet_cell(wb, 1, 2).type == Cell::Type::Number);  // its saved result is read
  CHECK(only_sheet_cell(wb, 1, 2).number == 2);
  CHECK(only_sheet_cell(wb, 1, 3).empty());                     // a saved empty text
  CHECK(only_sheet_cell(wb, 1, 4).type == Cell::Type::Error);   // a shared formula, no result
}

TEST_CASE("a number formatted as a date or time is an error cell showing the date", "[sheets][xlsx]") {
  testing::TempDir dir;
  Book b;
  b.num_fmts = "<numFmt numFmtId=\"164\" formatCode=\"dd/mm/yyyy\"/><numFmt numFmtId=\"165\" formatCode=\"[h]:mm\"/>"
               "<numFmt numFmtId=\"166\" formatCode=\"0.0 &quot;days&quot;\"/><numFmt numFmtId=\"167\" formatCode=\"[Red]#,##0.00\"/>"
               "<numFmt numFmtId=\"168\" formatCode=\"0.00\\m\"/>";
  b.cell_formats = {0, 14, 164, 165, 166, 167, 168, 2};
  auto cell = [](int column, int style, const std::string& v) {
    return "<c r=\"" + sheets::column_letters(column) + "1\" s=\"" + std::to_string(style) + "\"><v>" + v + "</v></c>";
  };
  b.rows = "<row r=\"1\">" + cell(1, 0, "45352") + cell(2, 1, "45352") + cell(3, 2, "45352.5") + cell(4, 3, "0.25") +
           cell(5, 4, "3.5") + cell(6, 5, "-2") + cell(7, 6, "7") + cell(8, 7, "60") + "<c r=\"I1\" t=\"d\"><v>2024-03-01</v></c></row>";

  SECTION("the 1900 date system") {
    const auto wb = sheets::read_xlsx(b.write(dir));
    CHECK(only_sheet_cell(wb, 1, 1).type == Cell::Type::Number);  // General
    const Cell& builtin = only_sheet_cell(wb, 1, 2);
    CHECK(builtin.type == Cell::Type::Error);
    CHECK_THAT(builtin.text, Catch::StartsWith("2024-03-01, a date or time; careflow reads numbers formatted as Number or General"));
    CHECK(only_sheet_cell(wb, 1, 3).text.rfind("2024-03-01 12:00, a date", 0) == 0);
    CHECK(only_sheet_cell(wb, 1, 4).text.rfind("06:00, a date or time", 0) == 0);  // an elapsed time [h]:mm
    for (int c : {5, 6, 7, 8}) {  // text in quotes or escaped, a colour, a plain format: numbers
      INFO("column " << c);
      CHECK(only_sheet_cell(wb, 1, c).type == Cell::Type::Number);
    }
    CHECK(only_sheet_cell(wb, 1, 9).type == Cell::Type::Error);  // an ISO 8601 date cell
    CHECK_THAT(only_sheet_cell(wb, 1, 9).text, Catch::StartsWith("2024-03-01, a date;"));
  }
  SECTION("the 1904 date system, and Excel's 29 February 1900") {
    b.workbook_pr = "date1904=\"1\"";
    CHECK(only_sheet_cell(sheets::read_xlsx(b.write(dir)), 1, 2).text.rfind("2028-03-02,", 0) == 0);
    b.workbook_pr.clear();
    b.rows = "<row r=\"1\">" + cell(1, 1, "60") + cell(2, 1, "61") + cell(3, 1, "59") + "</row>";
    const auto wb = sheets::read_xlsx(b.write(dir));
    CHECK(only_sheet_cell(wb, 1, 1).text.rfind("1900-02-29,", 0) == 0);
    CHECK(only_sheet_cell(wb, 1, 2).text.rfind("1900-03-01,", 0) == 0);
    CHECK(only_sheet_cell(wb, 1, 3).text.rfind("1900-02-28,", 0) == 0);
  }
}

TEST_CASE("a sheet's extent is its used range, and one far from the table is refused", "[sheets][xlsx]") {
  testing::TempDir dir;
  Book b;
  SECTION("the <dimension> claim and cells without a value do not count") {
    b.dimension = "A1:XFD1048576";
    b.shared = {""};
    b.rows = "<row r=\"1\"><c r=\"A1\"><v>1</v></c><c r=\"B1\" t=\"s\"><v>0</v></c></row>"
             "<row r=\"900000\"><c r=\"XFD900000\" s=\"0\"/><c r=\"XFC900000\" t=\"inlineStr\"><is><t></t></is></c></row>";
    const auto wb = sheets::read_xlsx(b.write(dir));
    CHECK(wb.sheets.at(0).rows == 1);
    CHECK(wb.sheets.at(0).columns == 1);
    CHECK(wb.sheets.at(0).cells.size() == 1);
  }
  SECTION("a stray value at XFD1048576") {
    b.rows = "<row r=\"1\"><c r=\"A1\"><v>1</v></c></row><row r=\"1048576\"><c r=\"XFD1048576\"><v>1</v></c></row>";
    CHECK_THAT(read_error(b.write(dir)),
               Catch::Contains("book.xlsx: sheet 'data': the value in XFD1048576 makes the used range A1:XFD1048576, "
                               "17,179,869,184 cells; careflow reads sheets of at most 4,194,304"));
  }
  SECTION("stray values far down and far across") {
    b.rows = "<row r=\"2\"><c r=\"AAA2\"><v>1</v></c></row><row r=\"50000\"><c r=\"B50000\"><v>1</v></c></row>";
    CHECK_THAT(read_error(b.write(dir)), Catch::Contains("the values in B50000 (the last row) and AAA2 (the last column) make "
                                                         "the used range A1:AAA50000"));
  }
  SECTION("rows and cells outside Excel's grid") {
    b.rows = "<row r=\"1048577\"><c><v>1</v></c></row>";
    CHECK_THAT(read_error(b.write(dir)), Catch::Contains("a row numbered '1048577'"));
    b.rows = "<row r=\"-3\"><c><v>1</v></c></row>";
    CHECK_THAT(read_error(b.write(dir)), Catch::Contains("a row numbered '-3'"));
    b.rows = "<row r=\"1\"><c r=\"A1048577\"><v>1</v></c></row>";
    CHECK_THAT(read_error(b.write(dir)), Catch::Contains("bad cell reference 'A1048577'"));
    b.rows = "<row r=\"1\"><c r=\"XFD1\"><v>1</v></c><c><v>2</v></c></row>";
    CHECK_THAT(read_error(b.write(dir)), Catch::Contains("a cell after the last column (XFD) in row 1"));
  }
}

TEST_CASE("a workbook holds at most so many cells, shared strings and characters", "[sheets][xlsx]") {
  testing::TempDir dir;
  Book b;
  SECTION("cells") {
    // kMaxXlsxCells with a value, then one more: 16,000 columns a row.
    std::string row;
    for (int c = 0; c < 16'000; ++c) row += "<c><v>1</v></c>";
    const std::size_t rows = sheets::kMaxXlsxCells / 16'000;
    REQUIRE(rows * 16'000 == sheets::kMaxXlsxCells);
    for (std::size_t r = 0; r < rows; ++r) b.rows += "<row>" + row + "</row>";
    const std::string at_limit = b.write(dir, "full.xlsx");
    b.rows += "<row><c><v>1</v></c></row>";
    CHECK_THAT(read_error(b.write(dir)),
               Catch::Contains("sheet 'data': at cell A126 the workbook passes 2,000,000 cells with a value; careflow reads no more"));
    CHECK(sheets::read_xlsx(at_limit).sheets.at(0).cells.size() == sheets::kMaxXlsxCells);
  }
  SECTION("shared strings") {
    b.shared.assign(sheets::kMaxXlsxSharedStrings + 1, "x");
    CHECK_THAT(read_error(b.write(dir)), Catch::Contains("book.xlsx: more than 1,000,000 shared strings"));
  }
  SECTION("text, a shared string once per cell that shows it") {
    b.shared = {std::string(40'000, 'x')};
    for (int r = 1; r <= 2'000; ++r) b.rows += "<row><c t=\"s\"><v>0</v></c></row>";
    CHECK_THAT(read_error(b.write(dir)), Catch::Contains("at cell A1678 the cells' text passes 64 MiB"));
  }
}
