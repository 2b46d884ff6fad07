// The one checked RAII layer over the HDF5 C API, for the results writer and reader (in the
// spirit of HighFive): every identifier is owned by a handle that closes it with the matching
// H5?close, every call is checked, and a failure throws h5::Error naming the call and the
// object with HDF5's own innermost message. Private to careflow::io: no public header
// includes HDF5.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace careflow::io::h5 {

/// A failed HDF5 call. The writer and reader add the file's path.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws Error("WHAT failed (HDF5's innermost message)") and clears HDF5's error stack.
[[noreturn]] void fail(std::string_view what);

/// `what` names the call and the object, e.g. "H5Dwrite of episodes".
inline void check(herr_t status, std::string_view what) {
  if (status < 0) fail(what);
}
inline hid_t check_id(hid_t id, std::string_view what) {
  if (id < 0) fail(what);
  return id;
}

/// While alive, HDF5 prints nothing to stderr (errors become exceptions instead); the previous
/// handler is put back, so other users of the library are unaffected.
class Silencer {
 public:
  Silencer();
  ~Silencer();
  Silencer(const Silencer&) = delete;
  Silencer& operator=(const Silencer&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

/// Owns one HDF5 identifier of the kind that `Close` closes.
template <herr_t (*Close)(hid_t)>
class Handle {
 public:
  /// Takes `id`, the result of the call `what`; throws if the call failed.
  Handle(hid_t id, std::string_view what) : id_(check_id(id, what)) {}
  ~Handle() {
    if (id_ >= 0) Close(id_);  // errors while unwinding cannot be reported
  }
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, -1)) {}
  Handle& operator=(Handle&&) = delete;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const noexcept { return id_; }
  operator hid_t() const noexcept { return id_; }  // NOLINT: lets handles go straight into H5 calls

  /// Closes now, reporting failure (a file still holding open objects fails to close).
  void close(std::string_view what) { check(Close(std::exchange(id_, -1)), what); }

 private:
  hid_t id_;
};

using File = Handle<H5Fclose>;
using Group = Handle<H5Gclose>;
using Dataset = Handle<H5Dclose>;
using Attribute = Handle<H5Aclose>;
using Space = Handle<H5Sclose>;
using Type = Handle<H5Tclose>;
using Properties = Handle<H5Pclose>;

// ---- types --------------------------------------------------------------------------------

/// The HDF5 types of T in memory and as stored in careflow's files (little-endian, whatever the
/// machine). Predefined types: not to be closed.
struct Types {
  hid_t native;
  hid_t stored;
};
template <class T>
Types types_of() {
  if constexpr (std::is_same_v<T, std::uint64_t>) return {H5T_NATIVE_UINT64, H5T_STD_U64LE};
  else if constexpr (std::is_same_v<T, std::uint32_t>) return {H5T_NATIVE_UINT32, H5T_STD_U32LE};
  else if constexpr (std::is_same_v<T, std::int32_t>) return {H5T_NATIVE_INT32, H5T_STD_I32LE};
  else if constexpr (std::is_same_v<T, double>) return {H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE};
  else static_assert(sizeof(T) == 0, "no HDF5 type for this C++ type");
}
template <class T>
hid_t native_type() {
  return types_of<T>().native;
}
template <class T>
hid_t stored_type() {
  return types_of<T>().stored;
}

/// Fixed-length, zero-padded text of `width` bytes (at least 1): numpy reads it as "S<width>".
/// HDF5 does not convert between ASCII and UTF-8, so a reader asks for the file's `cset`.
Type fixed_string(std::size_t width, H5T_cset_t cset = H5T_CSET_UTF8);

/// Variable-length UTF-8 text: h5py reads attributes of this type as str.
Type vlen_string();

// ---- spaces, links, shapes ----------------------------------------------------------------

Space simple_space(std::span<const hsize_t> dims);
Space scalar_space();

/// Whether `loc` has a link `name`. A path whose intermediate group is missing is "no" (HDF5
/// reports it as a failure), which is what every caller means to ask.
bool exists(hid_t loc, const char* name);

/// The dimensions of a dataset (none for a scalar); `what` names it in errors.
std::vector<hsize_t> extent(hid_t dataset, std::string_view what);

// ---- attributes ---------------------------------------------------------------------------

/// A scalar numeric attribute, stored little-endian.
template <class T>
void write_attribute(hid_t obj, const char* name, T value) {
  Space space = scalar_space();
  Attribute a(H5Acreate2(obj, name, stored_type<T>(), space, H5P_DEFAULT, H5P_DEFAULT), std::string("H5Acreate2 of attribute ") + name);
  check(H5Awrite(a, native_type<T>(), &value), std::string("H5Awrite of attribute ") + name);
}
/// A scalar variable-length UTF-8 string attribute.
void write_attribute(hid_t obj, const char* name, const std::string& value);
/// A 1-D attribute of variable-length UTF-8 strings (h5py reads it as an array of str).
void write_attribute(hid_t obj, const char* name, const std::vector<std::string>& values);

bool has_attribute(hid_t obj, const char* name);

/// A scalar numeric attribute converted to T by HDF5.
template <class T>
T read_attribute(hid_t obj, const char* name) {
  Attribute a(H5Aopen(obj, name, H5P_DEFAULT), std::string("H5Aopen of attribute ") + name);
  T v{};
  check(H5Aread(a, native_type<T>(), &v), std::string("H5Aread of attribute ") + name);
  return v;
}
/// A scalar variable-length string attribute.
std::string read_string_attribute(hid_t obj, const char* name);

/// The text of a scalar variable-length string dataset.
std::string read_text(hid_t dataset, std::string_view what);

}  // namespace careflow::io::h5
