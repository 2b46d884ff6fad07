// .xlsx → cells. An xlsx is a zip of XML parts: xl/workbook.xml names the sheets,
// xl/_rels/workbook.xml.rels maps them to parts, xl/sharedStrings.xml holds the text that cells
// refer to by index, and each xl/worksheets/sheetN.xml holds the cells. Element names are
// compared without namespace prefixes, since writers differ in how they spell them.
#include "careflow/sheets/xlsx.hpp"

#include <pugixml.hpp>
#include <zip.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
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

struct Zip {
  zip_t* z = nullptr;
  std::string path;
  ~Zip() {
    if (z) zip_discard(z);
  }
  bool has(const std::string& name) const { return zip_name_locate(z, name.c_str(), 0) >= 0; }
  std::string read(const std::string& name) const {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(z, name.c_str(), 0, &st) != 0) throw XlsxError(path + ": not a workbook: the part '" + name + "' is missing");
    if (st.size > (256u << 20)) throw XlsxError(path + ": the part '" + name + "' is too large");
    zip_file_t* f = zip_fopen(z, name.c_str(), 0);
    if (!f) throw XlsxError(path + ": cannot open the part '" + name + "'");
    std::string data(static_cast<std::size_t>(st.size), '\0');
    const zip_int64_t n = zip_fread(f, data.data(), st.size);
    zip_fclose(f);
    if (n < 0 || static_cast<zip_uint64_t>(n) != st.size) throw XlsxError(path + ": cannot read the part '" + name + "'");
    return data;
  }
  pugi::xml_document xml(const std::string& name) const {
    const std::string text = read(name);
    pugi::xml_document doc;
    const auto r = doc.load_buffer(text.data(), text.size());
    if (!r) throw XlsxError(path + ": the part '" + name + "' is not valid XML: " + r.description());
    return doc;
  }
};

/// "B12" → (12, 2); false if it is not a cell reference.
bool parse_reference(const std::string& ref, int& row, int& column) {
  std::size_t i = 0;
  int c = 0;
  while (i < ref.size() && std::isalpha(static_cast<unsigned char>(ref[i]))) {
    c = c * 26 + (std::toupper(static_cast<unsigned char>(ref[i])) - 'A' + 1);
    ++i;
  }
  if (i == 0 || i == ref.size() || c > 16384) return false;
  int r = 0;
  const auto res = std::from_chars(ref.data() + i, ref.data() + ref.size(), r);
  if (res.ec != std::errc() || res.ptr != ref.data() + ref.size() || r < 1) return false;
  row = r;
  column = c;
  return true;
}

std::string resolve_target(const std::string& target) {
  if (!target.empty() && target[0] == '/') return target.substr(1);
  if (target.rfind("xl/", 0) == 0) return target;
  return "xl/" + target;
}

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
  std::vector<std::string> shared;
  if (zip.has("xl/sharedStrings.xml")) {
    const auto doc = zip.xml("xl/sharedStrings.xml");
    for (pugi::xml_node si : child(doc, "sst").children())
      if (std::strcmp(local_name(si), "si") == 0) shared.push_back(string_item(si));
  }
  std::map<std::string, std::string> targets;  // relationship id → part
  {
    const auto rels = zip.xml("xl/_rels/workbook.xml.rels");
    for (pugi::xml_node r : child(rels, "Relationships").children())
      targets[attribute(r, "Id")] = resolve_target(attribute(r, "Target"));
  }
  Workbook wb;
  const auto book = zip.xml("xl/workbook.xml");
  for (pugi::xml_node s : child(child(book, "workbook"), "sheets").children()) {
    if (std::strcmp(local_name(s), "sheet") != 0) continue;
    Sheet sheet;
    sheet.name = attribute(s, "name");
    const auto t = targets.find(attribute(s, "id"));
    if (t == targets.end()) throw XlsxError(path + ": sheet '" + sheet.name + "' has no part");
    const auto doc = zip.xml(t->second);
    const pugi::xml_node data = child(child(doc, "worksheet"), "sheetData");
    int next_row = 1;
    for (pugi::xml_node row : data.children()) {
      if (std::strcmp(local_name(row), "row") != 0) continue;
      int r = next_row;
      if (const std::string rr = attribute(row, "r"); !rr.empty()) r = std::atoi(rr.c_str());
      next_row = r + 1;
      int next_column = 1;
      for (pugi::xml_node c : row.children()) {
        if (std::strcmp(local_name(c), "c") != 0) continue;
        int cr = r, cc = next_column;
        if (const std::string ref = attribute(c, "r"); !ref.empty() && !parse_reference(ref, cr, cc))
          throw XlsxError(path + ": sheet '" + sheet.name + "': bad cell reference '" + ref + "'");
        next_column = cc + 1;
        const std::string type = attribute(c, "t");
        const std::string v = child(c, "v").text().get();
        Cell cell;
        if (type == "s") {
          const auto index = static_cast<std::size_t>(std::strtoull(v.c_str(), nullptr, 10));
          if (v.empty() || index >= shared.size())
            throw XlsxError(path + ": sheet '" + sheet.name + "': cell " + column_letters(cc) + std::to_string(cr) +
                            " refers to a missing shared string");
          cell.type = Cell::Type::Text;
          cell.text = shared[index];
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
        } else if (!v.empty()) {  // "n", "d" or no type: a number
          double d = 0;
          const auto res = std::from_chars(v.data(), v.data() + v.size(), d);
          if (res.ec != std::errc() || res.ptr != v.data() + v.size())
            throw XlsxError(path + ": sheet '" + sheet.name + "': cell " + column_letters(cc) + std::to_string(cr) +
                            " holds '" + v + "', not a number");
          cell.type = Cell::Type::Number;
          cell.number = d;
          cell.text = v;
        }
        if (cell.type == Cell::Type::Empty) continue;
        sheet.rows = std::max(sheet.rows, cr);
        sheet.columns = std::max(sheet.columns, cc);
        sheet.cells[{cr, cc}] = std::move(cell);
      }
    }
    wb.sheets.push_back(std::move(sheet));
  }
  return wb;
}

}  // namespace careflow::sheets
