// .xlsx → cells. An xlsx is a zip of XML parts: xl/workbook.xml names the sheets,
// xl/_rels/workbook.xml.rels maps them to parts, xl/sharedStrings.xml holds the text that cells
// refer to by index, and each xl/worksheets/sheetN.xml holds the cells. Element names are
// compared without namespace prefixes, since writers differ in how they spell them.
#include "careflow/sheets/xlsx.hpp"

#include <pugixml.hpp>
#include <zip.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string_view>
#include <system_error>

namespace careflow::sheets {
namespace {

const char* local_name(const pugi::xml_node& n) {
  const char* name = n.name();
  const char* colon = std::strrchr(name, ':');
  return colon ? colon + 1 : name;
}

pugi::xml_node child(const pugi::xml_node& parent, const char* name) {
  for (pugi::xml_node c : parent.children())
    if (std::strcmp(local_name(c), name) == 0) return c;
  return {};
}

std::string attribute(const pugi::xml_node& n, const char* name) {
  for (pugi::xml_attribute a : n.attributes()) {
    const char* an = a.name();
    const char* colon = std::strrchr(an, ':');
    if (std::strcmp(colon ? colon + 1 : an, name) == 0) return a.value();
  }
  return {};
}

/// The text of a string item: <t> directly or the <t> of each rich-text run <r>.
std::string string_item(const pugi::xml_node& si) {
  std::string out;
  for (pugi::xml_node c : si.children()) {
    if (std::strcmp(local_name(c), "t") == 0) out += c.text().get();
    else if (std::strcmp(local_name(c), "r") == 0) out += child(c, "t").text().get();
  }
  return out;
}

/// "64 MiB", "2.1 GiB": a size in a message.
std::string size_text(std::uint64_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 || v == std::floor(v) ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string count_text(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

struct Zip {
  zip_t* z = nullptr;
  std::string path;
  std::uint64_t inflated = 0;  // bytes inflated so far, every part together
  ~Zip() {
    if (z) zip_discard(z);
  }

  [[noreturn]] void refuse(const std::string& why) const { throw XlsxError(path + ": " + why); }

  /// Every entry's size as the central directory gives it, before anything is inflated.
  void check_sizes() const {
    const zip_int64_t n = zip_get_num_entries(z, 0);
    std::uint64_t total = 0;
    for (zip_int64_t i = 0; i < n; ++i) {
      zip_stat_t st;
      zip_stat_init(&st);
      if (zip_stat_index(z, static_cast<zip_uint64_t>(i), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) continue;
      std::string name = "entry " + std::to_string(i);
      if ((st.valid & ZIP_STAT_NAME) && st.name) name = st.name;
      if (st.size > kMaxXlsxPartBytes)
        refuse("the part '" + name + "' inflates to " + size_text(st.size) + "; careflow reads workbook parts of at most " +
               size_text(kMaxXlsxPartBytes) + " (a scenario workbook is far smaller)");
      total += st.size;
      if (total > kMaxXlsxArchiveBytes)
        refuse("the workbook inflates to more than " + size_text(kMaxXlsxArchiveBytes) +
               " (its parts together); careflow reads no more (a scenario workbook is far smaller)");
    }
  }

  bool has(const std::string& name) const { return zip_name_locate(z, name.c_str(), 0) >= 0; }

  /// A part's bytes. Its size was checked against the limits from the directory; the header may
  /// lie, so at most that many bytes are inflated, and a part with more is refused as damaged.
  std::string read(const std::string& name) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(z, name.c_str(), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
      refuse("not a workbook: the part '" + name + "' is missing");
    if (st.size > kMaxXlsxPartBytes) refuse("the part '" + name + "' is larger than " + size_text(kMaxXlsxPartBytes));
    if (inflated + st.size > kMaxXlsxArchiveBytes)
      refuse("reading the part '" + name + "' would inflate more than " + size_text(kMaxXlsxArchiveBytes) +
             " in all (a part read again and again?); careflow reads no more");
    zip_file_t* f = zip_fopen(z, name.c_str(), 0);
    if (!f) refuse("cannot open the part '" + name + "'");
    std::string data(static_cast<std::size_t>(st.size), '\0');
    std::uint64_t got = 0;
    zip_int64_t n = 1;
    while (got < st.size && (n = zip_fread(f, data.data() + got, st.size - got)) > 0) got += static_cast<std::uint64_t>(n);
    char more = 0;
    const zip_int64_t extra = n < 0 ? -1 : zip_fread(f, &more, 1);  // 0 at the end (and the CRC checked)
    const std::string why = extra < 0 ? std::string(": ") + zip_error_strerror(zip_file_get_error(f)) : "";
    zip_fclose(f);
    if (extra > 0) refuse("the part '" + name + "' holds more than the " + std::to_string(st.size) + " bytes its header gives: the workbook is damaged");
    if (extra < 0 || got != st.size) refuse("cannot read the part '" + name + "'" + why);
    inflated += got;
    return data;
  }

  pugi::xml_document xml(const std::string& name) {
    const std::string text = read(name);
    pugi::xml_document doc;
    // The text of an element kept in the element, not in a node of its own: a cell's <v> costs
    // one node instead of two (a sheet's DOM is several times its XML).
    const auto r = doc.load_buffer(text.data(), text.size(), pugi::parse_default | pugi::parse_embed_pcdata);
    if (!r) refuse("the part '" + name + "' is not valid XML: " + r.description());
    return doc;
  }
};

constexpr int kMaxRow = 1'048'576;  // Excel's last row and column (XFD)
constexpr int kMaxColumn = 16'384;

/// "B12" → (12, 2); false if it is not a cell reference inside Excel's grid.
bool parse_reference(const std::string& ref, int& row, int& column) {
  std::size_t i = 0;
  int c = 0;
  while (i < ref.size() && std::isalpha(static_cast<unsigned char>(ref[i])) && c <= kMaxColumn) {
    c = c * 26 + (std::toupper(static_cast<unsigned char>(ref[i])) - 'A' + 1);
    ++i;
  }
  if (i == 0 || i == ref.size() || c > kMaxColumn) return false;
  int r = 0;
  const auto res = std::from_chars(ref.data() + i, ref.data() + ref.size(), r);
  if (res.ec != std::errc() || res.ptr != ref.data() + ref.size() || r < 1 || r > kMaxRow) return false;
  row = r;
  column = c;
  return true;
}

std::string resolve_target(const std::string& target) {
  if (!target.empty() && target[0] == '/') return target.substr(1);
  if (target.rfind("xl/", 0) == 0) return target;
  return "xl/" + target;
}

// ---- dates: which cell formats show a number as a date or time ---------------------------

/// The built-in formats that show dates or times (ECMA-376 18.8.30, with the East Asian and
/// Thai ones that spreadsheet programs number 27-36, 50-58 and 71-81).
bool builtin_date_format(int id) {
  return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) || (id >= 50 && id <= 58) ||
         (id >= 71 && id <= 81);
}

/// True when a format code has a day, month, year, hour or second in it: letters outside quoted
/// text, escapes (\x), widths (_x), fills (*x) and [colours or locales], or an elapsed time [h].
bool date_format_code(std::string_view code) {
  for (std::size_t i = 0; i < code.size(); ++i) {
    const char ch = code[i];
    if (ch == '"') {
      const std::size_t close = code.find('"', i + 1);
      if (close == std::string_view::npos) return false;
      i = close;
    } else if (ch == '\\' || ch == '_' || ch == '*') {
      ++i;
    } else if (ch == '[') {
      const std::size_t close = code.find(']', i + 1);
      if (close == std::string_view::npos) return false;
      const std::string_view inner = code.substr(i + 1, close - i - 1);
      if (!inner.empty() && inner.find_first_not_of("hHmMsS") == std::string_view::npos) return true;
      i = close;
    } else if (std::strchr("dDmMyYhHsS", ch) && ch != '\0') {
      return true;
    }
  }
  return false;
}

/// Which cell styles (the `s` of a cell: an index into cellXfs) show numbers as dates or times.
std::vector<char> date_styles(const pugi::xml_document& styles) {
  const pugi::xml_node sheet = child(styles, "styleSheet");
  std::map<int, bool> custom;  // numFmtId → shows a date
  for (pugi::xml_node f : child(sheet, "numFmts").children())
    if (std::strcmp(local_name(f), "numFmt") == 0)
      custom[std::atoi(attribute(f, "numFmtId").c_str())] = date_format_code(attribute(f, "formatCode"));
  std::vector<char> out;
  for (pugi::xml_node xf : child(sheet, "cellXfs").children()) {
    if (std::strcmp(local_name(xf), "xf") != 0) continue;
    const int id = std::atoi(attribute(xf, "numFmtId").c_str());
    const auto it = custom.find(id);
    out.push_back(it != custom.end() ? it->second : builtin_date_format(id));
  }
  return out;
}

/// A date cell's value as the spreadsheet shows it, "2024-03-01" or "2024-03-01 12:30" ("12:30"
/// for a time alone), from its serial number: days since 1899-12-31 with Excel's 29 February
/// 1900 (serial 60), or since 1904-01-01 in a workbook of the 1904 date system.
std::string date_text(double serial, bool date1904) {
  if (!std::isfinite(serial) || serial < 0 || serial >= 2958466)  // 2958465 is 9999-12-31
    return "serial " + exact_number(serial);
  using namespace std::chrono;
  const double whole = std::floor(serial);
  auto days_in = static_cast<int>(whole);
  std::string out;
  if (days_in > 0 || date1904) {
    char buf[16];
    if (!date1904 && days_in == 60) {
      std::snprintf(buf, sizeof buf, "1900-02-29");
    } else {
      if (!date1904 && days_in > 60) --days_in;  // the day that never was
      const sys_days base = date1904 ? sys_days{year{1904} / January / 1} : sys_days{year{1899} / December / 31};
      const year_month_day ymd{base + days{days_in}};
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                    static_cast<unsigned>(ymd.day()));
    }
    out = buf;
  }
  const int seconds = static_cast<int>(std::lround((serial - whole) * 86400.0));  // 0 to 86400
  if (seconds > 0 || out.empty()) {
    char buf[32];
    if (seconds % 60 == 0) std::snprintf(buf, sizeof buf, "%02d:%02d", seconds / 3600, seconds / 60 % 60);
    else std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
    if (!out.empty()) out += ' ';
    out += buf;
  }
  return out;
}

// ---- sheets ------------------------------------------------------------------------------

/// Reads the sheets of one workbook, counting what it keeps against the limits.
class SheetReader {
 public:
  SheetReader(const std::string& path, std::vector<std::string> shared, std::vector<char> date_style, bool date1904)
      : path_(path), shared_(std::move(shared)), date_style_(std::move(date_style)), date1904_(date1904) {}

  Sheet read(const std::string& name, const pugi::xml_document& doc) {
    Sheet sheet;
    sheet.name = name;
    const pugi::xml_node data = child(child(doc, "worksheet"), "sheetData");
    int next_row = 1;
    std::pair<int, int> last_row{0, 0}, last_column{0, 0};  // the cells that end the used range
    for (pugi::xml_node row : data.children()) {
      if (std::strcmp(local_name(row), "row") != 0) continue;
      int r = next_row;
      if (const std::string rr = attribute(row, "r"); !rr.empty()) {
        const auto res = std::from_chars(rr.data(), rr.data() + rr.size(), r);
        if (res.ec != std::errc() || res.ptr != rr.data() + rr.size()) r = 0;
      }
      if (r < 1 || r > kMaxRow)
        refuse(name, "a row numbered '" + attribute(row, "r") + "' (after row " + std::to_string(next_row - 1) +
                         "); rows are numbered 1 to " + std::to_string(kMaxRow));
      next_row = r + 1;
      int next_column = 1;
      for (pugi::xml_node c : row.children()) {
        if (std::strcmp(local_name(c), "c") != 0) continue;
        int cr = r, cc = next_column;
        if (const std::string ref = attribute(c, "r"); !ref.empty() && !parse_reference(ref, cr, cc))
          refuse(name, "bad cell reference '" + ref + "'");
        if (cc > kMaxColumn) refuse(name, "a cell after the last column (XFD) in row " + std::to_string(cr));
        next_column = cc + 1;
        Cell cell = value(c, name, cr, cc);
        if (cell.empty()) continue;  // a cell with a style and no value is not part of the used range
        text_bytes_ += cell.text.size();
        if (text_bytes_ > kMaxXlsxTextBytes)
          refuse(name, "at cell " + column_letters(cc) + std::to_string(cr) + " the cells' text passes " +
                           size_text(kMaxXlsxTextBytes) + "; careflow reads no more (a scenario workbook holds far less)");
        auto [it, added] = sheet.cells.insert_or_assign({cr, cc}, std::move(cell));
        if (added && ++cells_ > kMaxXlsxCells)
          refuse(name, "at cell " + column_letters(cc) + std::to_string(cr) + " the workbook passes " + count_text(kMaxXlsxCells) +
                           " cells with a value; careflow reads no more (a scenario workbook has far fewer)");
        if (cr > sheet.rows) sheet.rows = cr, last_row = {cr, cc};
        if (cc > sheet.columns) sheet.columns = cc, last_column = {cr, cc};
      }
    }
    // The semantic readers look at every cell of the used range: one stray value at XFD1048576
    // would make that 17 billion cells.
    const auto range = static_cast<std::uint64_t>(sheet.rows) * static_cast<std::uint64_t>(sheet.columns);
    if (range > kMaxXlsxSheetRange) {
      const auto cell_name = [](std::pair<int, int> rc) { return column_letters(rc.second) + std::to_string(rc.first); };
      std::string which = "the value in " + cell_name(last_row) + " makes";
      if (last_column != last_row)
        which = "the values in " + cell_name(last_row) + " (the last row) and " + cell_name(last_column) + " (the last column) make";
      refuse(name, which + " the used range A1:" + column_letters(sheet.columns) + std::to_string(sheet.rows) + ", " +
                       count_text(range) + " cells; careflow reads sheets of at most " + count_text(kMaxXlsxSheetRange) +
                       " (rows x columns): is a value typed far from the table? Delete it");
    }
    return sheet;
  }

 private:
  [[noreturn]] void refuse(const std::string& sheet, const std::string& why) const {
    throw XlsxError(path_ + ": sheet '" + sheet + "': " + why);
  }

  /// One cell's value, from its type (`t`), cached value (`v`), formula (`f`) and style (`s`).
  Cell value(const pugi::xml_node& c, const std::string& sheet, int row, int column) const {
    const std::string type = attribute(c, "t");
    const pugi::xml_node vn = child(c, "v");
    const std::string v = vn.text().get();
    const auto where = [&] { return column_letters(column) + std::to_string(row); };
    Cell cell;
    if (const pugi::xml_node f = child(c, "f"); f && (!vn || (v.empty() && type != "str"))) {
      // A formula written by a program that does not calculate (or a cell cleared of its result):
      // its value is unknown, and reading it as empty or zero would be silently wrong.
      const std::string text = f.text().get();
      cell.type = Cell::Type::Error;
      cell.text = "a formula" + (text.empty() ? std::string() : " =" + text) +
                  " whose result was never saved; open the workbook in a spreadsheet program and save it, or type the value";
      return cell;
    }
    if (type == "s") {
      std::size_t index = 0;
      const auto res = std::from_chars(v.data(), v.data() + v.size(), index);
      if (v.empty() || res.ec != std::errc() || res.ptr != v.data() + v.size() || index >= shared_.size())
        refuse(sheet, "cell " + where() + " refers to a missing shared string");
      cell.type = Cell::Type::Text;
      cell.text = shared_[index];
    } else if (type == "inlineStr") {
      cell.type = Cell::Type::Text;
      cell.text = string_item(child(c, "is"));
    } else if (type == "str") {
      cell.type = Cell::Type::Text;
      cell.text = v;
    } else if (type == "b") {
      cell.type = Cell::Type::Bool;
      cell.boolean = v == "1" || v == "true";
    } else if (type == "e") {
      cell.type = Cell::Type::Error;
      cell.text = v;
    } else if (type == "d" && !v.empty()) {  // a date written as ISO 8601 text (strict OOXML)
      cell.type = Cell::Type::Error;
      cell.text = v + ", a date; " + kPlainNumbers;
    } else if (!v.empty()) {  // "n" or no type: a number
      double d = 0;
      const auto res = std::from_chars(v.data(), v.data() + v.size(), d);
      if (res.ec != std::errc() || res.ptr != v.data() + v.size())
        refuse(sheet, "cell " + where() + " holds '" + v + "', not a number");
      std::size_t style = 0;
      const std::string s = attribute(c, "s");
      if (!s.empty() && std::from_chars(s.data(), s.data() + s.size(), style).ec == std::errc() && style < date_style_.size() &&
          date_style_[style]) {
        // A date typed where a number belongs (1/3 for a third becomes 1 March): the number is a
        // day count, never what the planner meant.
        cell.type = Cell::Type::Error;
        cell.text = date_text(d, date1904_) + ", a date or time; " + kPlainNumbers;
        return cell;
      }
      cell.type = Cell::Type::Number;
      cell.number = d;
      cell.text = v;
    }
    return cell;
  }

  static constexpr const char* kPlainNumbers = "careflow reads numbers formatted as Number or General, not dates";

  const std::string& path_;
  std::vector<std::string> shared_;
  std::vector<char> date_style_;
  bool date1904_ = false;
  std::size_t cells_ = 0;          // kept, all sheets
  std::uint64_t text_bytes_ = 0;   // of kept cells, all sheets
};

}  // namespace

const Cell& Sheet::at(int row, int column) const {
  static const Cell empty;
  const auto it = cells.find({row, column});
  return it == cells.end() ? empty : it->second;
}

const Sheet* Workbook::find(const std::string& name) const {
  for (const Sheet& s : sheets)
    if (s.name == name) return &s;
  return nullptr;
}

std::string column_letters(int column) {
  std::string out;
  while (column > 0) {
    const int r = (column - 1) % 26;
    out.insert(out.begin(), static_cast<char>('A' + r));
    column = (column - 1) / 26;
  }
  return out;
}

std::string exact_number(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::abs(v) < 9007199254740992.0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    return buf;
  }
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

bool looks_like_xlsx(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

Workbook read_xlsx(const std::string& path) {
  Zip zip;
  zip.path = path;
  int err = 0;
  zip.z = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (!zip.z) {
    zip_error_t e;
    zip_error_init_with_code(&e, err);
    std::string why = zip_error_strerror(&e);
    zip_error_fini(&e);
    throw XlsxError(path + ": cannot read the workbook: " + why);
  }
  zip.check_sizes();
  std::vector<std::string> shared;
  if (zip.has("xl/sharedStrings.xml")) {
    const auto doc = zip.xml("xl/sharedStrings.xml");
    for (pugi::xml_node si : child(doc, "sst").children()) {
      if (std::strcmp(local_name(si), "si") != 0) continue;
      if (shared.size() == kMaxXlsxSharedStrings)
        zip.refuse("more than " + count_text(kMaxXlsxSharedStrings) + " shared strings; careflow reads no more (a scenario workbook has far fewer)");
      shared.push_back(string_item(si));
    }
  }
  std::map<std::string, std::string> targets;  // relationship id → part
  std::string styles_part;
  {
    const auto rels = zip.xml("xl/_rels/workbook.xml.rels");
    for (pugi::xml_node r : child(rels, "Relationships").children()) {
      targets[attribute(r, "Id")] = resolve_target(attribute(r, "Target"));
      const std::string type = attribute(r, "Type");
      if (type.size() >= 7 && type.compare(type.size() - 7, 7, "/styles") == 0) styles_part = resolve_target(attribute(r, "Target"));
    }
  }
  std::vector<char> date_style;
  if (!styles_part.empty() && zip.has(styles_part)) date_style = date_styles(zip.xml(styles_part));
  Workbook wb;
  const auto book = zip.xml("xl/workbook.xml");
  const pugi::xml_node workbook = child(book, "workbook");
  const std::string date1904 = attribute(child(workbook, "workbookPr"), "date1904");
  SheetReader reader(path, std::move(shared), std::move(date_style), date1904 == "1" || date1904 == "true");
  for (pugi::xml_node s : child(workbook, "sheets").children()) {
    if (std::strcmp(local_name(s), "sheet") != 0) continue;
    const std::string name = attribute(s, "name");
    const auto t = targets.find(attribute(s, "id"));
    if (t == targets.end()) throw XlsxError(path + ": sheet '" + name + "' has no part");
    wb.sheets.push_back(reader.read(name, zip.xml(t->second)));
  }
  return wb;
}

}  // namespace careflow::sheets
