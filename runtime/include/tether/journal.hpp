// tether/journal.hpp - a durable, append-only, checksummed record journal.
//
// Purpose
//   The durable backend of the state store (and usable on its own): state
//   that must survive the death of the whole OS process. Each record is
//   framed as
//       u32 length (little endian) | u32 CRC-32 (IEEE) of length+payload | payload
//   and append() returns only after write() and fdatasync() succeeded, so an
//   acknowledged record survives SIGKILL and (given honest storage) power
//   loss. Opening a journal scans it from the start; the first record whose
//   frame is incomplete (torn tail) or whose checksum does not match
//   (corruption) ends the valid prefix: it and everything after it is
//   dropped (the file is truncated to the valid prefix and synced) and is
//   never returned as data. journal_recovery tells what was dropped.
//
// Lifetime
//   open() returns a unique_ptr owning one file descriptor, closed by the
//   destructor. Only one journal object per file may exist at a time (not
//   checked across processes: two writers corrupt each other - undefined).
//
// Thread-safety
//   append(), sync(), records() and recovery() may be called concurrently;
//   appends are serialized by an internal mutex, so sequence numbers are
//   dense and in file order.
//
// Blocking behaviour
//   append() blocks on write(2) + fdatasync(2) (milliseconds on real disks)
//   while holding the mutex; open() and scan() read the whole file.
//   Nothing else blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tether/error.hpp"

namespace tether {

/// CRC-32 (IEEE 802.3, reflected, as zlib's crc32). `seed` chains calls.
std::uint32_t crc32(std::string_view data, std::uint32_t seed = 0) noexcept;

struct journal_options {
  bool sync = true;                           ///< fdatasync before acknowledging (default true)
  std::uint32_t max_record = 64u << 20;       ///< larger appends fail with invalid_argument; larger frames read back are corrupt
};

/// What a scan found.
struct journal_recovery {
  std::uint64_t records = 0;        ///< valid records
  std::uint64_t valid_bytes = 0;    ///< length of the valid prefix
  std::uint64_t dropped_bytes = 0;  ///< bytes after the valid prefix (torn or corrupt)
  bool torn_tail = false;           ///< an incomplete frame at the end
  bool corrupt = false;             ///< a complete frame with a bad checksum or absurd length
};

class journal {
 public:
  /// Opens (creating if absent) and recovers `path`: scans, drops and
  /// truncates a torn/corrupt tail, fsyncs the truncation.
  /// Errors: io_error (open/read/ftruncate/fsync failed; errno in message).
  static result<std::unique_ptr<journal>> open(const std::string& path, journal_options opts = {});

  /// Reads `path` without modifying it. Errors: io_error (not_found if the
  /// file does not exist).
  struct scan_result {
    std::vector<std::string> records;
    journal_recovery recovery;
  };
  static result<scan_result> scan(const std::string& path, journal_options opts = {});

  ~journal();
  journal(const journal&) = delete;
  journal& operator=(const journal&) = delete;

  /// Appends one record and (if opts.sync) fdatasyncs before returning.
  /// Returns its sequence number (0-based, dense). Errors: invalid_argument
  /// (payload larger than max_record), io_error (write/fsync failed: the
  /// record is not acknowledged; the journal truncates back to the last
  /// acknowledged record if it can, otherwise further appends also fail).
  result<std::uint64_t> append(std::string_view payload);

  /// Replaces the whole content atomically with `records` (write to
  /// path.tmp, fsync, rename, fsync directory). Used for compaction.
  /// Errors: io_error, invalid_argument.
  result<void> rewrite(const std::vector<std::string>& records);

  /// Records recovered by open() (in order), followed by nothing appended
  /// since: recovered data only.
  const std::vector<std::string>& recovered() const noexcept { return recovered_; }
  const journal_recovery& recovery() const noexcept { return recovery_; }
  /// Number of records in the file (recovered + appended).
  std::uint64_t records() const;
  const std::string& path() const noexcept { return path_; }

 private:
  journal(std::string path, int fd, journal_options opts);
  std::string path_;
  journal_options opts_;
  mutable std::mutex mu_;
  int fd_;                      // guarded by mu_
  std::uint64_t size_ = 0;      // bytes, guarded by mu_
  std::uint64_t count_ = 0;     // records, guarded by mu_
  bool broken_ = false;         // guarded by mu_
  std::vector<std::string> recovered_;  // written by open() only
  journal_recovery recovery_;           // written by open() only
};

}  // namespace tether
