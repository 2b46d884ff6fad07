// Compound tables: a 1-D dataset of a packed compound type, one field per column, written and
// read column by column in blocks of rows (bounded memory for tables of millions of rows).
// Fields are named as the C++ members, so that pandas.DataFrame(dataset[:]) has the same
// columns; the reader asks for fields by name, so it does not depend on their order or padding.
#pragma once

#include <algorithm>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "h5.hpp"

namespace careflow::io {

/// HDF5 stamps every object header with the time it was written unless told not to; without
/// the stamps the same contents always give the same bytes (which sweep files promise).
/// Applied to every group, dataset and file (root group) creation property list.
void untimed(hid_t creation_properties);

/// Dataset creation properties: no times; chunked + shuffle + gzip when `compress`, there is
/// data and the filter is available (a zero-sized chunk is invalid, and empty tables need no
/// compression). The chunk shape depends only on the dataset's shape, so equal contents give
/// equal bytes.
h5::Properties dataset_properties(std::span<const hsize_t> dims, std::size_t row_bytes, bool compress);

class TableWriter {
 public:
  explicit TableWriter(std::size_t rows) : rows_(rows) {}

  /// A numeric column: get(i) is row i's value.
  template <class T, class Get>
  void number(std::string name, Get get) {
    field(std::move(name), h5::native_type<T>(), h5::stored_type<T>(), sizeof(T),
          [get](std::size_t first, std::size_t count, unsigned char* base, std::size_t stride) {
            for (std::size_t k = 0; k < count; ++k) {
              const T v = get(first + k);
              std::memcpy(base + k * stride, &v, sizeof v);
            }
          });
  }

  /// A fixed-length text column as wide as its longest value (at least 1 byte); get(i) returns
  /// row i's text (anything a std::string_view is made from).
  template <class Get>
  void text(std::string name, Get get) {
    std::size_t width = 1;
    for (std::size_t i = 0; i < rows_; ++i) width = std::max(width, std::string_view(get(i)).size());
    text_field(std::move(name), width, [get, width](std::size_t first, std::size_t count, unsigned char* base, std::size_t stride) {
      for (std::size_t k = 0; k < count; ++k) {
        const std::string_view v(get(first + k));
        std::memcpy(base + k * stride, v.data(), std::min(v.size(), width));
      }
    });
  }

  /// Writes the table as dataset `name` of `loc` and returns it (for attributes). Compression
  /// pays for the large per-replication tables, not for small descriptive ones.
  h5::Dataset write(hid_t loc, const std::string& name, bool compress = true) const;

 private:
  // Fills rows [first, first + count) of this column; row k's field is at base + k * stride.
  using Fill = std::function<void(std::size_t first, std::size_t count, unsigned char* base, std::size_t stride)>;
  struct Column {
    std::string name;
    hid_t memory_type;  // -1 for text (a string type of `size` bytes is made when writing)
    hid_t file_type;    // predefined HDF5 types: not owned
    std::size_t size;   // bytes in a row
    Fill fill;
  };
  void field(std::string name, hid_t memory_type, hid_t file_type, std::size_t size, Fill fill);
  void text_field(std::string name, std::size_t width, Fill fill);

  std::size_t rows_;
  std::vector<Column> columns_;
};

class TableReader {
 public:
  /// `what` names the table in errors (e.g. "replications/r0000/episodes").
  TableReader(hid_t dataset, std::string what);

  std::size_t rows() const noexcept { return rows_; }
  bool has(std::string_view column) const;

  /// Asks for a column: read() calls take(i, value) for every row i, value a T (a numeric type,
  /// converted by HDF5, or std::string for fixed-length text). Throws h5::Error if the table
  /// has no such column.
  template <class T, class Take>
  void column(std::string_view name, Take take) {
    if constexpr (std::is_same_v<T, std::string>) {
      text_field(name, [take](std::size_t row, const unsigned char* at, std::size_t width) {
        const char* p = reinterpret_cast<const char*>(at);
        take(row, std::string(p, strnlen(p, width)));
      });
    } else {
      field(name, h5::native_type<T>(), sizeof(T), [take](std::size_t row, const unsigned char* at, std::size_t) {
        T v;
        std::memcpy(&v, at, sizeof v);
        take(row, v);
      });
    }
  }

  /// Reads every column asked for, in one pass over the dataset.
  void read();

 private:
  using Take = std::function<void(std::size_t row, const unsigned char* at, std::size_t size)>;
  struct Column {
    std::string name;
    h5::Type memory_type;
    std::size_t size;
    Take take;
  };
  void field(std::string_view name, hid_t native, std::size_t size, Take take);
  void text_field(std::string_view name, Take take);
  h5::Type member_type(std::string_view name) const;

  hid_t dataset_;
  std::string what_;
  h5::Type file_type_;
  std::size_t rows_ = 0;
  std::vector<Column> columns_;
};

}  // namespace careflow::io
