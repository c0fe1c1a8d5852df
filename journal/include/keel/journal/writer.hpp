// StreamWriter: appends records to one stream of a journal. One writer per stream, no locks.
//
// Segments are preallocated with posix_fallocate and written through a shared mmap, so an
// append in `os` mode is a memcpy into the page cache with no system call, and a full disk is
// reported when a segment is created (as Errc::no_space), never as a SIGBUS on a write into a
// hole. A helper thread prepares the next segment ahead of need (creates it, preallocates it,
// fsyncs the directory in `group` and `sync` modes, maps it and touches every page, so the first write to a page does not
// fault) and seals the finished one (unmap, truncate to its data, close): a roll on the
// writing thread is a swap. In `group` and `sync` modes the finished segment is fdatasynced by
// the writer before the swap. A prepared segment that was never used is all zeros; readers
// ignore it and recovery removes it.
//
// Durability (stated honestly):
//   os     the record is in the page cache when append returns: it survives a crash of this
//          process, not a power loss or kernel crash (nor, then, may a new segment's name:
//          the directory is not fsynced in this mode).
//   group  fdatasync at most every group_interval_us or group_records appends; the durable
//          watermark advances only after a successful fdatasync.
//   sync   fdatasync after every append.
// A failed fdatasync is fail-stop: the writer refuses every later call (no retry, because
// Linux may already have dropped the dirty pages it could not write).
#pragma once

#include <unistd.h>
#include <atomic>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "keel/journal/format.hpp"
#include "keel/journal/status.hpp"

namespace keel::journal {

enum class Durability : std::uint8_t { os, group, sync };
[[nodiscard]] std::string_view to_string(Durability d) noexcept;
[[nodiscard]] bool parse_durability(std::string_view s, Durability& out) noexcept;

// Told of each segment a writer seals when it moves on to the next (once the segment is cut
// to its data): the journal's manifest records the seal (manifest.hpp, ManifestKeeper). Called
// on the writer's helper thread (or its writing thread without one); must not block long.
class SealObserver {
  public:
    virtual ~SealObserver() = default;
    virtual void sealed(std::string_view stream, std::uint64_t index) noexcept = 0;
};

struct WriterOptions {
    // Every page of a segment is touched before use (above), so bigger is not free: 16 MiB
    // keeps preparing one to a few milliseconds of the helper's time.
    std::uint64_t segment_bytes = 16ull << 20;
    Durability durability = Durability::os;
    std::uint64_t group_interval_us = 1000;
    std::uint64_t group_records = 256;
    // The call that makes data durable: ::fdatasync. A seam for tests to inject EIO or EROFS,
    // the failures the writer must treat as fail-stop.
    int (*datasync)(int fd) = ::fdatasync;
    // Prepare segments on a helper thread (above). Off: the writing thread creates each one
    // when it needs it, and pays its page faults as it fills it.
    bool prepare_ahead = true;
    // Told of each segment sealed by a roll (not of the last, sealed by close()). Optional.
    SealObserver* on_sealed = nullptr;
};

class StreamWriter {
  public:
    // Opens `stream` in the existing directory `dir` for appending: creates its first segment
    // if it has none, else continues after the last record of its last segment. The stream
    // must have been recovered first (see recover_stream): a bad tail here is an error.
    [[nodiscard]] static Status open(const std::filesystem::path& dir, std::string_view stream,
                                     const WriterOptions& options,
                                     std::unique_ptr<StreamWriter>& out);
    ~StreamWriter();
    StreamWriter(const StreamWriter&) = delete;
    StreamWriter& operator=(const StreamWriter&) = delete;

    // Appends one record. On error nothing of this record is visible to a reader (its header
    // is never written) and, for no_space, the writer stays usable for a retry after space is
    // freed; for io_error and read_only it has failed and refuses all further calls.
    [[nodiscard]] Status append(std::uint16_t type, std::uint64_t seq, std::int64_t ts_ns,
                                const void* payload, std::uint32_t length) noexcept {
        return append_parts(type, seq, ts_ns, payload, length, nullptr, 0);
    }
    // The same, with a payload made of two parts written back to back (e.g. an event and
    // the text it carries).
    [[nodiscard]] Status append_parts(std::uint16_t type, std::uint64_t seq, std::int64_t ts_ns,
                                      const void* first, std::uint32_t first_length,
                                      const void* second, std::uint32_t second_length) noexcept;
    // fdatasync now and advance the durable watermark to everything appended.
    [[nodiscard]] Status sync() noexcept;
    // Seals the current segment (truncated to its data, synced) and releases it.
    [[nodiscard]] Status close() noexcept;

    [[nodiscard]] std::uint64_t appended_records() const noexcept { return records_; }
    // Readable from any thread (metrics): records and bytes appended so far, relaxed.
    [[nodiscard]] std::uint64_t appended_records_relaxed() const noexcept {
        return records_published_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t appended_bytes_relaxed() const noexcept {
        return bytes_published_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t last_seq() const noexcept { return last_seq_; }
    // Readable from any thread: everything up to these has reached the stated durability.
    [[nodiscard]] std::uint64_t durable_records() const noexcept {
        return durable_records_.load(std::memory_order_acquire);
    }
    // The watermark itself, for a reader on another thread (an acknowledgement waiting on it).
    [[nodiscard]] const std::atomic<std::uint64_t>& durable_seq_watermark() const noexcept {
        return durable_seq_;
    }
    [[nodiscard]] std::uint64_t durable_seq() const noexcept {
        return durable_seq_.load(std::memory_order_acquire);
    }
    [[nodiscard]] std::uint64_t segment_index() const noexcept { return index_; }

  private:
    struct Mapping {
        int fd = -1;
        unsigned char* base = nullptr;
        std::uint64_t capacity = 0;
        std::uint64_t index = 0;
    };
    enum : int { kIdle = 0, kWork = 1, kDone = 2, kStop = 3 };

    StreamWriter() = default;
    // Creates (or opens) segment `index`, preallocates and maps it; touches every page if asked.
    Status map_segment(std::uint64_t index, bool existing, bool touch, Mapping& out) noexcept;
    Status take_or_map(std::uint64_t index, Mapping& out) noexcept;
    void start_segment(const Mapping& m) noexcept;
    void queue_job(std::uint64_t prepare_index, const Mapping& retire,
                   std::uint64_t retire_used) noexcept;
    Status seal_segment() noexcept;
    Status roll() noexcept;
    void helper_loop() noexcept;
    void wait_helper() noexcept;  // until the helper has finished its current job
    void discard(Mapping& m) noexcept;
    void tell_sealed(std::uint64_t index) noexcept;
    static void unmap_truncate_close(Mapping& m, std::uint64_t used) noexcept;
    Status fail(Status s) noexcept;
    void publish_durable() noexcept;

    std::string dir_;
    char stream_[kMaxStreamName + 1] = {};
    WriterOptions options_;
    int dir_fd_ = -1;
    int fd_ = -1;
    unsigned char* base_ = nullptr;
    std::uint64_t capacity_ = 0;
    std::uint64_t used_ = 0;
    std::uint64_t index_ = 0;
    std::uint64_t records_ = 0;
    std::uint64_t last_seq_ = 0;
    std::uint64_t synced_records_ = 0;
    std::chrono::steady_clock::time_point last_sync_{};
    bool failed_ = false;
    bool closed_ = false;
    Status failure_;
    std::atomic<std::uint64_t> durable_records_{0};
    std::atomic<std::uint64_t> durable_seq_{0};
    std::atomic<std::uint64_t> records_published_{0};
    std::atomic<std::uint64_t> bytes_published_{0};

    // The helper's one job at a time: the writer fills job_* and sets kWork; the helper fills
    // prepared_ and sets kDone. Each side touches these only while the state says it owns them.
    std::atomic<int> job_{kIdle};
    std::uint64_t job_index_ = 0;
    Mapping job_retire_;
    std::uint64_t job_retire_used_ = 0;
    Mapping prepared_;
    Status prepared_status_;
    std::thread helper_;
};

}  // namespace keel::journal
