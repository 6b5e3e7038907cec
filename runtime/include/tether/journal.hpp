// tether/journal.hpp - a durable, append-only, checksummed record journal.
//
// Purpose
//   The durable backend of the state store (and usable on its own): state
//   that must survive the death of the whole OS process. Each record is
//   framed as
//       u32 length (little endian) | u32 CRC-32 (IEEE) of length+payload | payload
//   and append() returns only after write() and fdatasync() succeeded, so an
//   acknowledged record survives SIGKILL and (given honest storage) power
//   loss. open() creates a missing file and fsyncs its directory before
//   returning, so the file itself survives power loss too.
//
//   Opening a journal scans it from the start and tells two kinds of damage
//   apart (journal_recovery reports both; damaged bytes are never returned
//   as data):
//   * torn tail - the last frame is incomplete (a crash mid-append) or is
//     a complete frame failing its check with no intact frame after it: it
//     is dropped, and open() truncates the file to the end of the last
//     intact record and syncs it (torn_tail / corrupt, dropped_bytes).
//   * corruption in the middle - a frame fails its CRC-32 or length check
//     but intact frames follow: the damaged bytes are skipped (the scan
//     resynchronizes at the next frame that passes its CRC-32 check, first
//     where the bad frame's length points, then byte by byte) and the
//     records after them are kept (corrupt, skipped_regions, skipped_bytes,
//     skipped_offsets). open() leaves the damaged bytes in the file (it
//     never destroys data it cannot read), so every later open reports them
//     again until rewrite() (state_store::compact) replaces the file. The
//     skipped records are lost: a durable state_store replays the others.
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
inline namespace v1 {

/// CRC-32 (IEEE 802.3, reflected, as zlib's crc32). `seed` chains calls.
std::uint32_t crc32(std::string_view data, std::uint32_t seed = 0) noexcept;

struct journal_options {
  bool sync = true;                           ///< fdatasync before acknowledging (default true)
  std::uint32_t max_record = 64u << 20;       ///< larger appends fail with invalid_argument; larger frames read back are corrupt
};

/// What a scan found.
struct journal_recovery {
  std::uint64_t records = 0;        ///< intact records (returned as data)
  std::uint64_t valid_bytes = 0;    ///< bytes kept: where the dropped tail began (file size if none)
  std::uint64_t dropped_bytes = 0;  ///< tail bytes dropped (open() truncates them)
  bool torn_tail = false;           ///< the dropped tail is an incomplete frame
  bool corrupt = false;             ///< some complete frame failed its checksum or length check
                                    ///< (in the dropped tail or in a skipped region)
  std::uint64_t skipped_regions = 0;  ///< damaged regions in the middle skipped (records after kept)
  std::uint64_t skipped_bytes = 0;    ///< bytes in those regions (left in the file by open())
  std::vector<std::uint64_t> skipped_offsets;  ///< file offset where each skipped region starts
  bool created = false;             ///< open() created the file (and fsynced its directory)
};

class journal {
 public:
  /// Opens (creating if absent, then fsyncing the directory) and recovers
  /// `path`: scans, skips damaged regions in the middle (reported in
  /// recovery(), bytes left in the file), drops and truncates a torn or
  /// corrupt tail, fsyncs the truncation.
  /// Errors: io_error (open/read/ftruncate/fsync, or the directory fsync
  /// after creating the file, failed; errno in message).
  static result<std::unique_ptr<journal>> open(const std::string& path, journal_options opts = {});

  /// Reads `path` without modifying it; recovery as open() would report it.
  /// Errors: not_found (the file does not exist), io_error.
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

}  // namespace v1
}  // namespace tether
