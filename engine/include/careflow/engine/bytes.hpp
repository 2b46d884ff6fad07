// Plain values to bytes and back: what travels between processes (MPI ranks) in one build.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace careflow {

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<char>& out) : out_(out) {}
  template <class T>
  void pod(const T& x) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const char*>(&x);
    out_.insert(out_.end(), p, p + sizeof(T));
  }
  template <class T>
  void pods(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    pod<std::uint64_t>(v.size());
    const auto* p = reinterpret_cast<const char*>(v.data());
    out_.insert(out_.end(), p, p + v.size() * sizeof(T));
  }
  void text(const std::string& s) {
    pod<std::uint64_t>(s.size());
    out_.insert(out_.end(), s.begin(), s.end());
  }

 private:
  std::vector<char>& out_;
};

class ByteReader {
 public:
  ByteReader(const char* data, std::size_t size) : p_(data), end_(data + size) {}
  explicit ByteReader(const std::vector<char>& v) : ByteReader(v.data(), v.size()) {}
  template <class T>
  T pod() {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof(T));
    T x;
    std::memcpy(static_cast<void*>(&x), p_, sizeof(T));
    p_ += sizeof(T);
    return x;
  }
  template <class T>
  std::vector<T> pods() {
    const auto n = pod<std::uint64_t>();
    if (n > static_cast<std::uint64_t>(end_ - p_) / sizeof(T)) throw std::runtime_error("bytes: a list longer than its data");
    std::vector<T> v(n);
    std::memcpy(static_cast<void*>(v.data()), p_, n * sizeof(T));
    p_ += n * sizeof(T);
    return v;
  }
  std::string text() {
    const auto n = pod<std::uint64_t>();
    need(n);
    std::string s(p_, n);
    p_ += n;
    return s;
  }
  bool done() const noexcept { return p_ == end_; }

 private:
  void need(std::size_t n) const {
    if (n > static_cast<std::size_t>(end_ - p_)) throw std::runtime_error("bytes: data ends early");
  }
  const char* p_;
  const char* end_;
};

}  // namespace careflow
