// A zip of stored (uncompressed) parts, written byte by byte: the workbooks of the .xlsx
// reader's tests and of the workbook fuzz target, whose XML a test or a mutation controls exactly.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace careflow::testing {

namespace zip_detail {
inline void put16(std::string& s, unsigned v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>((v >> 8) & 0xff);
}
inline void put32(std::string& s, std::uint32_t v) {
  put16(s, v & 0xffff);
  put16(s, v >> 16);
}
}  // namespace zip_detail

/// The bytes of a zip holding `parts` (name, contents), each stored with its CRC-32.
inline std::string stored_zip(const std::vector<std::pair<std::string, std::string>>& parts) {
  using zip_detail::put16;
  using zip_detail::put32;
  std::string out, central;
  for (const auto& [name, data] : parts) {
    const auto crc = static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    const auto offset = static_cast<std::uint32_t>(out.size());
    const auto size = static_cast<std::uint32_t>(data.size());
    put32(out, 0x04034b50);
    for (unsigned v : {20u, 0u, 0u, 0u, 0x21u}) put16(out, v);  // version, flags, stored, time, date
    for (std::uint32_t v : {crc, size, size}) put32(out, v);
    put16(out, static_cast<unsigned>(name.size()));
    put16(out, 0);
    out += name + data;
    put32(central, 0x02014b50);
    for (unsigned v : {20u, 20u, 0u, 0u, 0u, 0x21u}) put16(central, v);
    for (std::uint32_t v : {crc, size, size}) put32(central, v);
    for (unsigned v : {static_cast<unsigned>(name.size()), 0u, 0u, 0u, 0u}) put16(central, v);
    put32(central, 0);
    put32(central, offset);
    central += name;
  }
  const auto at = static_cast<std::uint32_t>(out.size());
  out += central;
  put32(out, 0x06054b50);
  for (unsigned v : {0u, 0u, static_cast<unsigned>(parts.size()), static_cast<unsigned>(parts.size())}) put16(out, v);
  put32(out, static_cast<std::uint32_t>(central.size()));
  put32(out, at);
  put16(out, 0);
  return out;
}

}  // namespace careflow::testing
