#include "tether/journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace tether {

namespace {

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();

error io_err(const std::string& what, const std::string& path, int err) {
  return error(errc::io_error, what + " '" + path + "': " + std::strerror(err));
}

void put_u32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFFu);
}
std::uint32_t get_u32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

std::string frame(std::string_view payload) {
  std::string rec(8 + payload.size(), '\0');
  put_u32(rec.data(), static_cast<std::uint32_t>(payload.size()));
  std::uint32_t c = crc32(std::string_view(rec.data(), 4));
  c = crc32(payload, c);
  put_u32(rec.data() + 4, c);
  std::memcpy(rec.data() + 8, payload.data(), payload.size());
  return rec;
}

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

result<std::string> read_file(int fd, const std::string& path) {
  std::string data;
  char buf[1 << 16];
  if (::lseek(fd, 0, SEEK_SET) < 0) return io_err("lseek", path, errno);
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      return io_err("read", path, errno);
    }
    if (r == 0) break;
    data.append(buf, static_cast<std::size_t>(r));
  }
  return data;
}

journal::scan_result parse(const std::string& data, const journal_options& opts) {
  journal::scan_result out;
  std::size_t off = 0;
  while (off < data.size()) {
    if (data.size() - off < 8) {
      out.recovery.torn_tail = true;
      break;
    }
    std::uint32_t len = get_u32(data.data() + off);
    std::uint32_t crc = get_u32(data.data() + off + 4);
    if (len > opts.max_record) {
      out.recovery.corrupt = true;
      break;
    }
    if (data.size() - off - 8 < len) {
      out.recovery.torn_tail = true;
      break;
    }
    std::uint32_t c = crc32(std::string_view(data.data() + off, 4));
    c = crc32(std::string_view(data.data() + off + 8, len), c);
    if (c != crc) {
      out.recovery.corrupt = true;
      break;
    }
    out.records.emplace_back(data.data() + off + 8, len);
    off += 8 + len;
  }
  out.recovery.records = out.records.size();
  out.recovery.valid_bytes = off;
  out.recovery.dropped_bytes = data.size() - off;
  return out;
}

}  // namespace

std::uint32_t crc32(std::string_view data, std::uint32_t seed) noexcept {
  std::uint32_t c = seed ^ 0xFFFFFFFFu;
  for (unsigned char ch : data) c = kCrcTable[(c ^ ch) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

journal::journal(std::string path, int fd, journal_options opts)
    : path_(std::move(path)), opts_(opts), fd_(fd) {}

journal::~journal() {
  if (fd_ >= 0) ::close(fd_);
}

result<journal::scan_result> journal::scan(const std::string& path, journal_options opts) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return error(errc::not_found, "journal '" + path + "' does not exist");
    return io_err("open", path, errno);
  }
  auto data = read_file(fd, path);
  ::close(fd);
  if (!data) return std::move(data).error();
  return parse(*data, opts);
}

result<std::unique_ptr<journal>> journal::open(const std::string& path, journal_options opts) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return io_err("open", path, errno);
  std::unique_ptr<journal> j(new journal(path, fd, opts));
  auto data = read_file(fd, path);
  if (!data) return std::move(data).error();
  auto parsed = parse(*data, opts);
  if (parsed.recovery.dropped_bytes > 0) {
    if (::ftruncate(fd, static_cast<off_t>(parsed.recovery.valid_bytes)) != 0)
      return io_err("ftruncate", path, errno);
    if (::fsync(fd) != 0) return io_err("fsync", path, errno);
  }
  if (::lseek(fd, static_cast<off_t>(parsed.recovery.valid_bytes), SEEK_SET) < 0)
    return io_err("lseek", path, errno);
  j->size_ = parsed.recovery.valid_bytes;
  j->count_ = parsed.records.size();
  j->recovered_ = std::move(parsed.records);
  j->recovery_ = parsed.recovery;
  return j;
}

result<std::uint64_t> journal::append(std::string_view payload) {
  if (payload.size() > opts_.max_record)
    return error(errc::invalid_argument, "journal record larger than max_record");
  std::string rec = frame(payload);
  std::lock_guard lk(mu_);
  if (broken_) return error(errc::io_error, "journal '" + path_ + "' is unusable after a failed write");
  if (!write_all(fd_, rec.data(), rec.size())) {
    int e = errno;
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0 ||
        ::lseek(fd_, static_cast<off_t>(size_), SEEK_SET) < 0)
      broken_ = true;
    return io_err("write", path_, e);
  }
  if (opts_.sync && ::fdatasync(fd_) != 0) {
    int e = errno;
    broken_ = true;  // after a failed fsync the page-cache state is unknown
    return io_err("fdatasync", path_, e);
  }
  size_ += rec.size();
  return count_++;
}

result<void> journal::rewrite(const std::vector<std::string>& records) {
  std::string data;
  for (const auto& r : records) {
    if (r.size() > opts_.max_record) return error(errc::invalid_argument, "record larger than max_record");
    data += frame(r);
  }
  std::lock_guard lk(mu_);
  const std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_err("open", tmp, errno);
  if (!write_all(fd, data.data(), data.size()) || ::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return io_err("write", tmp, e);
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    int e = errno;
    ::close(fd);
    return io_err("rename", tmp, e);
  }
  std::string dir = path_.substr(0, path_.find_last_of('/') == std::string::npos ? 0 : path_.find_last_of('/'));
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  ::close(fd_);
  fd_ = fd;
  broken_ = ::lseek(fd_, 0, SEEK_END) < 0;
  size_ = data.size();
  count_ = records.size();
  return ok();
}

std::uint64_t journal::records() const {
  std::lock_guard lk(mu_);
  return count_;
}

}  // namespace tether
