#include "h5.hpp"

#include <algorithm>

namespace careflow::io::h5 {
namespace {

// The innermost message of HDF5's error stack (e.g. "unable to open file: ... errno = 2"),
// which says far more than the failing API call alone.
herr_t first_error(unsigned n, const H5E_error2_t* err, void* out) {
  if (n == 0 && err != nullptr && err->desc != nullptr) *static_cast<std::string*>(out) = err->desc;
  return 0;
}

// Frees what HDF5 allocated for a variable-length string read.
struct VlenText {
  char* p = nullptr;
  ~VlenText() { H5free_memory(p); }
  std::string text() const { return p ? p : ""; }
};

}  // namespace

void fail(std::string_view what) {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, first_error, &detail);
  H5Eclear2(H5E_DEFAULT);
  std::replace(detail.begin(), detail.end(), '\n', ' ');  // HDF5 breaks its messages over lines
  std::string message(what);
  message += " failed";
  if (!detail.empty()) message += " (" + detail + ")";
  throw Error(message);
}

Silencer::Silencer() {
  H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}
Silencer::~Silencer() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

Type fixed_string(std::size_t width, H5T_cset_t cset) {
  Type t(H5Tcopy(H5T_C_S1), "H5Tcopy");
  check(H5Tset_size(t, std::max<std::size_t>(width, 1)), "H5Tset_size");
  check(H5Tset_strpad(t, H5T_STR_NULLPAD), "H5Tset_strpad");
  check(H5Tset_cset(t, cset), "H5Tset_cset");
  return t;
}

Type vlen_string() {
  Type t(H5Tcopy(H5T_C_S1), "H5Tcopy");
  check(H5Tset_size(t, H5T_VARIABLE), "H5Tset_size");
  check(H5Tset_cset(t, H5T_CSET_UTF8), "H5Tset_cset");
  return t;
}

Space simple_space(std::span<const hsize_t> dims) {
  return {H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), "H5Screate_simple"};
}

Space scalar_space() { return {H5Screate(H5S_SCALAR), "H5Screate"}; }

bool exists(hid_t loc, const char* name) { return H5Lexists(loc, name, H5P_DEFAULT) > 0; }

std::vector<hsize_t> extent(hid_t dataset, std::string_view what) {
  const std::string of = " of " + std::string(what);
  Space space(H5Dget_space(dataset), "H5Dget_space" + of);
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) fail("H5Sget_simple_extent_ndims" + of);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) check(H5Sget_simple_extent_dims(space, dims.data(), nullptr), "H5Sget_simple_extent_dims" + of);
  return dims;
}

void write_attribute(hid_t obj, const char* name, const std::string& value) {
  Type type = vlen_string();
  Space space = scalar_space();
  Attribute a(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), std::string("H5Acreate2 of attribute ") + name);
  const char* p = value.c_str();
  check(H5Awrite(a, type, &p), std::string("H5Awrite of attribute ") + name);
}

void write_attribute(hid_t obj, const char* name, const std::vector<std::string>& values) {
  Type type = vlen_string();
  std::vector<const char*> pointers;
  for (const auto& v : values) pointers.push_back(v.c_str());
  const hsize_t dims[] = {values.size()};
  Space space = simple_space(dims);
  Attribute a(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), std::string("H5Acreate2 of attribute ") + name);
  if (!pointers.empty()) check(H5Awrite(a, type, pointers.data()), std::string("H5Awrite of attribute ") + name);
}

bool has_attribute(hid_t obj, const char* name) { return H5Aexists(obj, name) > 0; }

std::string read_string_attribute(hid_t obj, const char* name) {
  Attribute a(H5Aopen(obj, name, H5P_DEFAULT), std::string("H5Aopen of attribute ") + name);
  Type type = vlen_string();
  VlenText v;
  check(H5Aread(a, type, &v.p), std::string("H5Aread of attribute ") + name);
  return v.text();
}

std::string read_text(hid_t dataset, std::string_view what) {
  Type type = vlen_string();
  VlenText v;
  check(H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v.p), "H5Dread of " + std::string(what));
  return v.text();
}

}  // namespace careflow::io::h5
