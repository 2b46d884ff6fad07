#include "seal.hpp"

#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string_view>

#include "careflow/io/hdf5_reader.hpp"

namespace careflow::io {
namespace {

constexpr std::string_view kFirstLine = "careflow results file\n";

struct DigestDeleter {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

// SHA-256 of the bytes fed to it, in lower-case hex.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) throw std::runtime_error("SHA-256 is unavailable (OpenSSL)");
  }
  void add(const char* data, std::size_t n) {
    if (n > 0 && EVP_DigestUpdate(ctx_.get(), data, n) != 1) throw std::runtime_error("SHA-256 failed (OpenSSL)");
  }
  std::string hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), md.data(), &len) != 1) throw std::runtime_error("SHA-256 failed (OpenSSL)");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
      out += kHex[md[i] >> 4];
      out += kHex[md[i] & 15];
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, DigestDeleter> ctx_;
};

std::string header_text(std::size_t bytes, const std::string& sha) {
  return std::string(kFirstLine) + "seal 1\nbytes " + std::to_string(bytes) + "\nsha256 " + sha + "\n";
}

}  // namespace

void seal_image(std::vector<char>& image) {
  // H5Fget_file_image leaves the user block out (the image starts at HDF5's base address, the
  // superblock): put it in front.
  if (image.size() < 8 || std::memcmp(image.data(), "\x89HDF\r\n\x1a\n", 8) != 0)
    throw std::runtime_error("the results image does not start with HDF5's superblock");
  image.insert(image.begin(), kUserBlockBytes, '\0');
  Sha256 sha;
  sha.add(image.data() + kUserBlockBytes, image.size() - kUserBlockBytes);
  const std::string header = header_text(image.size(), sha.hex());
  std::memcpy(image.data(), header.data(), header.size());
}

Seal check_seal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ResultsFileError(path, "cannot be read");
  std::array<char, kUserBlockBytes> block{};
  in.read(block.data(), block.size());
  const auto got = static_cast<std::size_t>(in.gcount());
  const std::string_view head(block.data(), got);
  if (head.substr(0, kFirstLine.size()) != kFirstLine) return Seal::unsealed;

  const auto damaged = [&](const std::string& why) {
    return ResultsFileError(path, "is damaged: " + why + " (the file is not as careflow wrote it; "
                                                         "run again, or restore it from a copy)");
  };
  if (got < kUserBlockBytes) throw damaged("it is cut short, inside its integrity header");
  // The header, strictly: the four lines, then only zero bytes.
  std::string_view rest = head.substr(kFirstLine.size());
  const auto line = [&](std::string_view key) -> std::string_view {
    if (rest.substr(0, key.size()) != key) throw damaged("its integrity header is damaged");
    rest.remove_prefix(key.size());
    const std::size_t end = rest.find('\n');
    if (end == std::string_view::npos) throw damaged("its integrity header is damaged");
    const std::string_view value = rest.substr(0, end);
    rest.remove_prefix(end + 1);
    return value;
  };
  if (line("seal ") != "1") throw damaged("its integrity header is of an unknown kind (a newer careflow?)");
  const std::string_view bytes_text = line("bytes ");
  std::size_t bytes = 0;
  const auto [end, ec] = std::from_chars(bytes_text.data(), bytes_text.data() + bytes_text.size(), bytes);
  if (ec != std::errc() || end != bytes_text.data() + bytes_text.size() || bytes_text.empty() || bytes_text.front() == '0')
    throw damaged("its integrity header is damaged");
  const std::string_view sha_text = line("sha256 ");
  if (sha_text.size() != 64 || sha_text.find_first_not_of("0123456789abcdef") != std::string_view::npos)
    throw damaged("its integrity header is damaged");
  for (char c : rest)
    if (c != '\0') throw damaged("its integrity header is damaged");

  Sha256 sha;
  std::size_t total = kUserBlockBytes;
  std::vector<char> chunk(std::size_t{1} << 20);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    sha.add(chunk.data(), n);
    total += n;
  }
  if (in.bad()) throw ResultsFileError(path, "cannot be read to its end");
  if (total < bytes)
    throw damaged("it is cut short (" + std::to_string(total) + " of its " + std::to_string(bytes) + " bytes)");
  if (total > bytes)
    throw damaged(std::to_string(total - bytes) + " bytes were added after its end");
  if (sha.hex() != sha_text) throw damaged("its bytes do not match their SHA-256 checksum");
  return Seal::sealed;
}

}  // namespace careflow::io
