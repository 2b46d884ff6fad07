#include "tables.hpp"

#include <utility>

namespace careflow::io {
namespace {

constexpr unsigned kGzipLevel = 4;
// Chunks of about 1 MiB: large enough for good compression, small enough to read a slice.
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
// Rows converted per H5Dwrite or H5Dread, to bound the extra memory for big tables.
constexpr std::size_t kBlockRows = 1 << 16;

// Selects rows [first, first + count) of a 1-D dataset's space and returns a memory space of
// `count` rows to go with it.
h5::Space select_rows(hid_t file_space, std::size_t first, std::size_t count, const std::string& what) {
  const hsize_t start[] = {first};
  const hsize_t n[] = {count};
  h5::check(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, nullptr, n, nullptr), "H5Sselect_hyperslab of " + what);
  return h5::simple_space(n);
}

}  // namespace

void untimed(hid_t creation_properties) {
  h5::check(H5Pset_obj_track_times(creation_properties, false), "H5Pset_obj_track_times");
}

h5::Properties dataset_properties(std::span<const hsize_t> dims, std::size_t row_bytes, bool compress) {
  h5::Properties dcpl(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate");
  untimed(dcpl);
  const bool empty = std::any_of(dims.begin(), dims.end(), [](hsize_t d) { return d == 0; });
  if (!compress || empty || H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0) return dcpl;
  std::vector<hsize_t> chunk(dims.begin(), dims.end());
  const hsize_t rows = std::max<hsize_t>(1, kChunkBytes / std::max<std::size_t>(row_bytes, 1));
  chunk[0] = std::min(dims[0], rows);
  h5::check(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()), "H5Pset_chunk");
  h5::check(H5Pset_shuffle(dcpl), "H5Pset_shuffle");
  h5::check(H5Pset_deflate(dcpl, kGzipLevel), "H5Pset_deflate");
  return dcpl;
}

// ---- writing ------------------------------------------------------------------------------

void TableWriter::field(std::string name, hid_t memory_type, hid_t file_type, std::size_t size, Fill fill) {
  columns_.push_back({std::move(name), memory_type, file_type, size, std::move(fill)});
}

void TableWriter::text_field(std::string name, std::size_t width, Fill fill) {
  columns_.push_back({std::move(name), -1, -1, width, std::move(fill)});
}

h5::Dataset TableWriter::write(hid_t loc, const std::string& name, bool compress) const {
  std::size_t row_bytes = 0;
  for (const auto& c : columns_) row_bytes += c.size;
  h5::Type memory_type(H5Tcreate(H5T_COMPOUND, row_bytes), "H5Tcreate of " + name);
  h5::Type file_type(H5Tcreate(H5T_COMPOUND, row_bytes), "H5Tcreate of " + name);
  std::vector<std::size_t> offsets;
  std::size_t offset = 0;
  for (const auto& c : columns_) {
    offsets.push_back(offset);
    const std::string what = "H5Tinsert of " + name + "." + c.name;
    if (c.memory_type < 0) {
      const h5::Type s = h5::fixed_string(c.size);
      h5::check(H5Tinsert(memory_type, c.name.c_str(), offset, s), what);
      h5::check(H5Tinsert(file_type, c.name.c_str(), offset, s), what);
    } else {
      h5::check(H5Tinsert(memory_type, c.name.c_str(), offset, c.memory_type), what);
      h5::check(H5Tinsert(file_type, c.name.c_str(), offset, c.file_type), what);
    }
    offset += c.size;
  }

  const hsize_t dims[] = {rows_};
  h5::Space space = h5::simple_space(dims);
  h5::Properties dcpl = dataset_properties(dims, row_bytes, compress);
  h5::Dataset ds(H5Dcreate2(loc, name.c_str(), file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), "H5Dcreate2 of " + name);

  std::vector<unsigned char> buffer;
  for (std::size_t first = 0; first < rows_; first += kBlockRows) {
    const std::size_t count = std::min(kBlockRows, rows_ - first);
    buffer.assign(count * row_bytes, 0);  // zero padding after short strings
    for (std::size_t c = 0; c < columns_.size(); ++c) columns_[c].fill(first, count, buffer.data() + offsets[c], row_bytes);
    const h5::Space memory_space = select_rows(space, first, count, name);
    h5::check(H5Dwrite(ds, memory_type, memory_space, space, H5P_DEFAULT, buffer.data()), "H5Dwrite of " + name);
  }
  return ds;
}

// ---- reading ------------------------------------------------------------------------------

TableReader::TableReader(hid_t dataset, std::string what)
    : dataset_(dataset), what_(std::move(what)), file_type_(H5Dget_type(dataset), "H5Dget_type of " + what_) {
  const std::vector<hsize_t> dims = h5::extent(dataset, what_);
  if (dims.size() != 1) throw h5::Error(what_ + " is not a table (a 1-D dataset)");
  if (H5Tget_class(file_type_) != H5T_COMPOUND) throw h5::Error(what_ + " is not a table of named columns");
  rows_ = dims[0];
}

bool TableReader::has(std::string_view column) const {
  return H5Tget_member_index(file_type_, std::string(column).c_str()) >= 0;
}

h5::Type TableReader::member_type(std::string_view name) const {
  const std::string column(name);
  const int k = H5Tget_member_index(file_type_, column.c_str());
  if (k < 0) throw h5::Error(what_ + " has no column '" + column + "'");
  return {H5Tget_member_type(file_type_, static_cast<unsigned>(k)), "H5Tget_member_type of " + what_ + "." + column};
}

void TableReader::field(std::string_view name, hid_t native, std::size_t size, Take take) {
  member_type(name);  // the column must exist; HDF5 converts its values to `native`
  h5::Type copy(H5Tcopy(native), "H5Tcopy");
  columns_.push_back({std::string(name), std::move(copy), size, std::move(take)});
}

void TableReader::text_field(std::string_view name, Take take) {
  const std::string what = what_ + "." + std::string(name);
  const h5::Type member = member_type(name);
  const htri_t variable = H5Tis_variable_str(member);
  if (H5Tget_class(member) != H5T_STRING || variable != 0) throw h5::Error(what + " is not fixed-length text");
  const std::size_t width = H5Tget_size(member);
  if (width == 0) h5::fail("H5Tget_size of " + what);
  const H5T_cset_t cset = H5Tget_cset(member);
  if (cset == H5T_CSET_ERROR) h5::fail("H5Tget_cset of " + what);
  columns_.push_back({std::string(name), h5::fixed_string(width, cset), width, std::move(take)});
}

void TableReader::read() {
  if (rows_ == 0 || columns_.empty()) return;
  std::size_t row_bytes = 0;
  for (const auto& c : columns_) row_bytes += c.size;
  h5::Type memory_type(H5Tcreate(H5T_COMPOUND, row_bytes), "H5Tcreate for " + what_);
  std::vector<std::size_t> offsets;
  std::size_t offset = 0;
  for (const auto& c : columns_) {
    offsets.push_back(offset);
    h5::check(H5Tinsert(memory_type, c.name.c_str(), offset, c.memory_type), "H5Tinsert of " + what_ + "." + c.name);
    offset += c.size;
  }
  h5::Space space(H5Dget_space(dataset_), "H5Dget_space of " + what_);
  std::vector<unsigned char> buffer;
  for (std::size_t first = 0; first < rows_; first += kBlockRows) {
    const std::size_t count = std::min(kBlockRows, rows_ - first);
    buffer.assign(count * row_bytes, 0);
    const h5::Space memory_space = select_rows(space, first, count, what_);
    h5::check(H5Dread(dataset_, memory_type, memory_space, space, H5P_DEFAULT, buffer.data()), "H5Dread of " + what_);
    for (std::size_t c = 0; c < columns_.size(); ++c)
      for (std::size_t k = 0; k < count; ++k)
        columns_[c].take(first + k, buffer.data() + k * row_bytes + offsets[c], columns_[c].size);
  }
}

}  // namespace careflow::io
