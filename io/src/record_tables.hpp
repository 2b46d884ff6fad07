// The record datasets of a replication (episodes, step changes, delays, tracks), written and
// read by iterating their column tables (models/records.hpp): a column added there is written
// and read back with no change here. Field order, names and types follow the table.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "careflow/models/records.hpp"
#include "tables.hpp"

namespace careflow::io {

namespace detail {

template <class Member>
struct MemberValue;
template <class R, class T>
struct MemberValue<T R::*> {
  using type = T;
};

}  // namespace detail

/// Writes `rows` as dataset RecordTable<R>::name of `group`, compressed, one field per column.
template <class R>
void write_records(hid_t group, const std::vector<R>& rows) {
  TableWriter table(rows.size());
  // One dispatch per column on what its field is; the HDF5 type follows the C++ type.
  for (const models::Column<R>& c : models::RecordTable<R>::columns) {
    std::visit(
        [&](auto field) {
          using Field = decltype(field);
          std::string name(c.name);
          if constexpr (!std::is_member_object_pointer_v<Field>) {  // derived from the record
            using T = std::invoke_result_t<Field, const R&>;
            table.number<T>(std::move(name), [&rows, field](std::size_t i) { return field(rows[i]); });
          } else if constexpr (std::is_same_v<typename detail::MemberValue<Field>::type, std::string>) {
            table.text(std::move(name), [&rows, field](std::size_t i) -> const std::string& { return rows[i].*field; });
          } else {
            using T = typename detail::MemberValue<Field>::type;
            table.number<T>(std::move(name), [&rows, field](std::size_t i) { return rows[i].*field; });
          }
        },
        c.field);
  }
  table.write(group, std::string(models::RecordTable<R>::name));
}

/// Reads a record dataset back: every stored member whose column the dataset has (a derived
/// column such as episodes' `wait` is computed from the record, not read).
template <class R>
std::vector<R> read_records(hid_t dataset, const std::string& what) {
  TableReader table(dataset, what);
  std::vector<R> out(table.rows());
  for (const models::Column<R>& c : models::RecordTable<R>::columns) {
    if (c.derived() || !table.has(c.name)) continue;
    std::visit(
        [&](auto field) {
          if constexpr (std::is_member_object_pointer_v<decltype(field)>) {
            using T = typename detail::MemberValue<decltype(field)>::type;
            table.column<T>(c.name, [&out, field](std::size_t i, T v) { out[i].*field = std::move(v); });
          }
        },
        c.field);
  }
  table.read();
  return out;
}

}  // namespace careflow::io
