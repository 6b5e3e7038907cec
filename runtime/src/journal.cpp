#include "tether/journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace tether {
inline namespace v1 {

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

enum class frame_state { valid, incomplete, bad };

// Checks the frame at `off`; on valid, `len` is its payload length.
frame_state check_frame(const std::string& data, std::size_t off, const journal_options& opts,
                        std::uint32_t& len) {
  if (data.size() - off < 8) return frame_state::incomplete;
  len = get_u32(data.data() + off);
  const std::uint32_t crc = get_u32(data.data() + off + 4);
  if (len > opts.max_record) return frame_state::bad;
  if (data.size() - off - 8 < len) return frame_state::incomplete;
  std::uint32_t c = crc32(std::string_view(data.data() + off, 4));
  c = crc32(std::string_view(data.data() + off + 8, len), c);
  return c == crc ? frame_state::valid : frame_state::bad;
}

// The offset of the next valid frame after a bad one at `off`, or npos.
// First where the bad frame's own length says the next one starts (a flipped
// payload byte), then every later byte offset (a flipped length byte). A
// candidate must pass its CRC-32 check.
std::size_t resync(const std::string& data, std::size_t off, const journal_options& opts) {
  std::uint32_t len = 0;
  if (data.size() - off >= 8) {
    const std::uint64_t by_len = off + 8 + std::uint64_t{get_u32(data.data() + off)};
    if (by_len < data.size() && check_frame(data, static_cast<std::size_t>(by_len), opts, len) == frame_state::valid)
      return static_cast<std::size_t>(by_len);
  }
  for (std::size_t q = off + 1; q + 8 <= data.size(); ++q)
    if (check_frame(data, q, opts, len) == frame_state::valid) return q;
  return std::string::npos;
}

journal::scan_result parse(const std::string& data, const journal_options& opts) {
  journal::scan_result out;
  std::size_t off = 0;
  while (off < data.size()) {
    std::uint32_t len = 0;
    const frame_state st = check_frame(data, off, opts, len);
    if (st == frame_state::valid) {
      out.records.emplace_back(data.data() + off + 8, len);
      off += 8 + len;
      continue;
    }
    const std::size_t next = resync(data, off, opts);
    if (next == std::string::npos) {
      // Nothing intact after it: the tail (torn by a crash mid-append, or
      // a corrupt last record). Dropped.
      if (st == frame_state::incomplete) out.recovery.torn_tail = true;
      else out.recovery.corrupt = true;
      break;
    }
    // Corruption in the middle: skip the damaged bytes, keep what follows.
    out.recovery.corrupt = true;
    ++out.recovery.skipped_regions;
    out.recovery.skipped_bytes += next - off;
    out.recovery.skipped_offsets.push_back(off);
    off = next;
  }
  out.recovery.records = out.records.size();
  out.recovery.valid_bytes = off;
  out.recovery.dropped_bytes = data.size() - off;
  return out;
}

// fsync(2) of the directory containing `path`, so that a created or
// renamed entry survives power loss.
result<void> sync_parent_dir(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? std::string(".") : slash == 0 ? std::string("/") : path.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return io_err("open directory", dir, errno);
  if (::fsync(dfd) != 0) {
    int e = errno;
    ::close(dfd);
    return io_err("fsync directory", dir, e);
  }
  ::close(dfd);
  return ok();
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
  bool created = false;
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      created = true;
    } else if (errno == EEXIST) {  // created concurrently by someone else
      fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    }
  }
  if (fd < 0) return io_err("open", path, errno);
  std::unique_ptr<journal> j(new journal(path, fd, opts));
  if (created) {
    // The new directory entry must be durable before any record appended
    // to the file is acknowledged.
    auto synced = sync_parent_dir(path);
    if (!synced) return std::move(synced).error();
  }
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
  j->recovery_ = std::move(parsed.recovery);
  j->recovery_.created = created;
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
  // The rename is done; a failed directory fsync cannot be undone here and
  // is not reported (as before): the new content is in place either way.
  (void)sync_parent_dir(path_);
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

}  // namespace v1
}  // namespace tether
