#include "keel/journal/writer.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "keel/assert.hpp"
#include "keel/journal/reader.hpp"

namespace keel::journal {

namespace {

// Lays out one record at `at`, 8-byte aligned in fresh, preallocated space (so its padding is
// already zero). Payload and header first, the CRC last: a reader of the page cache
// (tail-follow) that sees a record before it is complete finds its CRC wrong and waits.
void write_record(unsigned char* at, const RecordHeader& h, const void* first,
                  std::uint32_t first_length, const void* second,
                  std::uint32_t second_length) noexcept {
    if (first_length > 0)
        std::memcpy(at + sizeof h, first, first_length);
    if (second_length > 0)
        std::memcpy(at + sizeof h + first_length, second, second_length);
    std::memcpy(at, &h, sizeof h);
    // Records are 8-byte aligned, so the CRC field can be stored as one atomic word, released
    // after everything it covers.
    std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(at))
        .store(record_crc(at, h.length), std::memory_order_release);
}

}  // namespace

std::string_view to_string(Durability d) noexcept {
    switch (d) {
        case Durability::os:
            return "os";
        case Durability::group:
            return "group";
        case Durability::sync:
            return "sync";
    }
    return "unknown";
}

bool parse_durability(std::string_view s, Durability& out) noexcept {
    if (s == "os")
        out = Durability::os;
    else if (s == "group")
        out = Durability::group;
    else if (s == "sync")
        out = Durability::sync;
    else
        return false;
    return true;
}

Status StreamWriter::open(const std::filesystem::path& dir, std::string_view stream,
                          const WriterOptions& options, std::unique_ptr<StreamWriter>& out) {
    if (!valid_stream_name(stream)) {
        return Status::error(Errc::invalid_argument, "bad stream name '%.*s'",
                             static_cast<int>(stream.size()), stream.data());
    }
    if (options.segment_bytes < sizeof(SegmentHeader) + 2 * sizeof(RecordHeader) ||
        options.segment_bytes % kRecordAlign != 0) {
        return Status::error(Errc::invalid_argument, "segment size %llu too small or unaligned",
                             static_cast<unsigned long long>(options.segment_bytes));
    }
    std::unique_ptr<StreamWriter> w(new StreamWriter());
    w->dir_ = dir.string();
    std::memcpy(w->stream_, stream.data(), stream.size());
    w->options_ = options;
    w->dir_fd_ = ::open(w->dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->dir_fd_ < 0)
        return Status::from_errno(errno, "open journal directory", w->dir_.c_str());

    StreamScan scan;
    Status s = scan_stream(dir, stream, scan, {});
    if (!s.ok())
        return s;
    if (scan.issue) {
        return Status::error(Errc::corrupt,
                             "%s at %s offset %llu: recover the stream before appending",
                             scan.issue->what.c_str(), scan.issue->file.c_str(),
                             static_cast<unsigned long long>(scan.issue->offset));
    }
    // Segments after the last one with data were prepared and never used (the writer before
    // us stopped or crashed): remove them, so this writer can prepare them afresh.
    const std::uint64_t next_index = scan.segments.empty() ? 0 : scan.segments.back().index + 1;
    for (std::uint64_t i = next_index;; ++i) {
        const std::string name = segment_file_name(stream, i);
        if (::unlinkat(w->dir_fd_, name.c_str(), 0) != 0)
            break;
    }
    Mapping m;
    if (scan.segments.empty()) {
        // Start-up is cold: touch the first segment's pages here too.
        s = w->map_segment(0, false, true, m);
        if (s.ok())
            w->start_segment(m);
    } else {
        const SegmentInfo& last = scan.segments.back();
        w->records_ = scan.records;
        w->records_published_.store(scan.records, std::memory_order_relaxed);
        w->last_seq_ = scan.last_seq;
        s = w->map_segment(last.index, true, false, m);
        if (s.ok()) {
            w->fd_ = m.fd;
            w->base_ = m.base;
            w->capacity_ = m.capacity;
            w->index_ = m.index;
            w->used_ = last.data_end;
        }
    }
    if (!s.ok())
        return s;
    if (options.prepare_ahead) {
        w->helper_ = std::thread([raw = w.get()] { raw->helper_loop(); });
        w->queue_job(w->index_ + 1, Mapping{}, 0);
    }
    w->synced_records_ = w->records_;
    w->durable_records_.store(w->records_);
    w->durable_seq_.store(w->last_seq_);
    w->last_sync_ = std::chrono::steady_clock::now();
    out = std::move(w);
    return {};
}

StreamWriter::~StreamWriter() {
    if (base_ != nullptr || helper_.joinable())
        (void)close();
    if (dir_fd_ >= 0)
        ::close(dir_fd_);
}

Status StreamWriter::fail(Status s) noexcept {
    if (s.code == Errc::io_error || s.code == Errc::read_only) {
        failed_ = true;
        failure_ = s;
    }
    return s;
}

Status StreamWriter::map_segment(std::uint64_t index, bool existing, bool touch,
                                 Mapping& out) noexcept {
    char name[64];
    std::snprintf(name, sizeof name, "%s.%06llu.seg", stream_,
                  static_cast<unsigned long long>(index));
    const int flags = O_RDWR | O_CLOEXEC | (existing ? 0 : O_CREAT | O_EXCL);
    const int fd = ::openat(dir_fd_, name, flags, 0644);
    if (fd < 0)
        return Status::from_errno(errno, "open segment", name);
    // Reserve the blocks now so a full disk shows here, as an error, not as SIGBUS later.
    const int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(options_.segment_bytes));
    if (rc != 0) {
        ::close(fd);
        if (!existing)
            ::unlinkat(dir_fd_, name, 0);
        return Status::from_errno(rc, "preallocate segment", name);
    }
    // In group and sync modes the new file's name must survive a power loss too. `os` mode
    // promises only a crash of this process, which the page cache survives: no fsync, which
    // under writeback pressure waits for other files' data (measured 10-120 ms per roll with
    // vm.dirty_bytes at 500 MB, the writer stalled on the helper for it).
    if (!existing && options_.durability != Durability::os && ::fsync(dir_fd_) != 0) {
        const int err = errno;
        ::close(fd);
        ::unlinkat(dir_fd_, name, 0);
        return Status::from_errno(err, "fsync journal directory", dir_.c_str());
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        return Status::from_errno(err, "stat segment", name);
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        const int err = errno;
        ::close(fd);
        return Status::from_errno(err, "map segment", name);
    }
    out = Mapping{fd, static_cast<unsigned char*>(p), size, index};
    if (touch) {
        // Take every page's first-write fault here, off the writing thread: a zero written to
        // a zero page changes nothing but leaves the page mapped writable.
        const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
        volatile unsigned char* v = out.base;
        for (std::uint64_t off = 0; off < size; off += page)
            v[off] = 0;
    }
    return {};
}

Status StreamWriter::take_or_map(std::uint64_t index, Mapping& out) noexcept {
    if (helper_.joinable()) {
        // Normally long finished: the helper started on this segment when the last one began.
        wait_helper();
        if (job_.load(std::memory_order_acquire) == kDone) {
            Mapping m = prepared_;
            prepared_ = Mapping{};
            job_.store(kIdle, std::memory_order_relaxed);
            if (m.base != nullptr && m.index == index) {
                out = m;
                return {};
            }
            discard(m);  // a failed or stale preparation: make it here instead
        }
    }
    return map_segment(index, false, false, out);
}

void StreamWriter::start_segment(const Mapping& m) noexcept {
    fd_ = m.fd;
    base_ = m.base;
    capacity_ = m.capacity;
    index_ = m.index;
    const SegmentHeader h = make_segment_header(stream_, 0, m.index);
    std::memcpy(base_, &h, sizeof h);
    used_ = sizeof h;
}

void StreamWriter::queue_job(std::uint64_t prepare_index, const Mapping& retire,
                             std::uint64_t retire_used) noexcept {
    if (!helper_.joinable()) {
        if (retire.base != nullptr) {
            Mapping m = retire;
            const std::uint64_t index = m.index;
            unmap_truncate_close(m, retire_used);
            tell_sealed(index);
        }
        return;
    }
    wait_helper();
    if (job_.load(std::memory_order_acquire) == kDone) {
        discard(prepared_);  // never taken (cannot happen after take_or_map; kept for safety)
        job_.store(kIdle, std::memory_order_relaxed);
    }
    job_index_ = prepare_index;
    job_retire_ = retire;
    job_retire_used_ = retire_used;
    job_.store(kWork, std::memory_order_release);
    job_.notify_one();
}

void StreamWriter::unmap_truncate_close(Mapping& m, std::uint64_t used) noexcept {
    ::munmap(m.base, m.capacity);
    // Sealed segments end at their last record. (A crash before this leaves zeros after it,
    // which readers accept in a sealed segment.)
    [[maybe_unused]] const int rc = ::ftruncate(m.fd, static_cast<off_t>(used));
    ::close(m.fd);
    m = Mapping{};
}

void StreamWriter::tell_sealed(std::uint64_t index) noexcept {
    if (options_.on_sealed != nullptr)
        options_.on_sealed->sealed(stream_, index);
}

void StreamWriter::discard(Mapping& m) noexcept {
    if (m.base == nullptr)
        return;
    char name[64];
    std::snprintf(name, sizeof name, "%s.%06llu.seg", stream_,
                  static_cast<unsigned long long>(m.index));
    ::munmap(m.base, m.capacity);
    ::close(m.fd);
    ::unlinkat(dir_fd_, name, 0);
    ::fsync(dir_fd_);
    m = Mapping{};
}

void StreamWriter::wait_helper() noexcept {
    int j;
    while ((j = job_.load(std::memory_order_acquire)) == kWork)
        job_.wait(kWork, std::memory_order_acquire);
}

void StreamWriter::helper_loop() noexcept {
    for (;;) {
        int j;
        while ((j = job_.load(std::memory_order_acquire)) != kWork && j != kStop)
            job_.wait(j, std::memory_order_acquire);
        if (j == kStop)
            return;
        if (job_retire_.base != nullptr) {
            const std::uint64_t index = job_retire_.index;
            unmap_truncate_close(job_retire_, job_retire_used_);
            tell_sealed(index);
        }
        prepared_status_ = map_segment(job_index_, false, true, prepared_);
        job_.store(kDone, std::memory_order_release);
        job_.notify_one();
    }
}

Status StreamWriter::seal_segment() noexcept {
    Status result;
    if (options_.durability != Durability::os && options_.datasync(fd_) != 0)
        result = Status::from_errno(errno, "fdatasync segment of", stream_);
    Mapping m{fd_, base_, capacity_, index_};
    unmap_truncate_close(m, used_);
    base_ = nullptr;
    fd_ = -1;
    return result;
}

// The current segment is full: make its records durable if the mode asks, continue in the
// next one (prepared by the helper, normally), and hand the full one to the helper to seal
// together with the request to prepare the one after.
Status StreamWriter::roll() noexcept {
    if (options_.durability != Durability::os && options_.datasync(fd_) != 0)
        return Status::from_errno(errno, "fdatasync segment of", stream_);
    Mapping old{fd_, base_, capacity_, index_};
    const std::uint64_t old_used = used_;
    Mapping next;
    if (Status s = take_or_map(index_ + 1, next); !s.ok()) {
        // No next segment (a full disk): seal this one now; the next append tries again.
        // (Not told as sealed: the stream has no later segment yet, so it is still the last.)
        unmap_truncate_close(old, old_used);
        base_ = nullptr;
        fd_ = -1;
        return s;
    }
    start_segment(next);
    queue_job(next.index + 1, old, old_used);
    return {};
}

void StreamWriter::publish_durable() noexcept {
    synced_records_ = records_;
    durable_seq_.store(last_seq_, std::memory_order_release);
    durable_records_.store(records_, std::memory_order_release);
}

Status StreamWriter::append_parts(std::uint16_t type, std::uint64_t seq, std::int64_t ts_ns,
                                  const void* first, std::uint32_t first_length, const void* second,
                                  std::uint32_t second_length) noexcept {
    if (failed_)
        return failure_;
    if (closed_)
        return Status::error(Errc::invalid_argument, "stream %s is closed", stream_);
    if (base_ == nullptr) {
        // A roll that could not create the next segment (no space): try again now.
        Mapping m;
        if (Status s = take_or_map(index_ + 1, m); !s.ok())
            return fail(s);
        start_segment(m);
        queue_job(m.index + 1, Mapping{}, 0);
    }
    const std::uint64_t total = std::uint64_t{first_length} + second_length;
    if (total > kMaxRecordPayload) {
        return Status::error(Errc::invalid_argument,
                             "record of %llu bytes exceeds the %u-byte limit",
                             static_cast<unsigned long long>(total), kMaxRecordPayload);
    }
    const auto length = static_cast<std::uint32_t>(total);
    const std::size_t size = record_size(length);
    if (sizeof(SegmentHeader) + size > options_.segment_bytes) {
        return Status::error(Errc::invalid_argument, "record of %u bytes does not fit a segment",
                             length);
    }
    if (used_ + size > capacity_) {
        // If this fails the writer has no segment; the next append tries to create it again.
        if (Status s = roll(); !s.ok())
            return fail(s);
    }
    RecordHeader h{};
    h.length = length;
    h.type = type;
    h.seq = seq;
    h.ts_ns = ts_ns;
    // Readers step from record to record by record_size(h.length) from the segment header,
    // and the CRC below is stored as one aligned word: every record must start 8-byte aligned
    // and carry the whole payload's length. The readers state the same after their checks.
    KEEL_ASSERT(used_ % kRecordAlign == 0, "journal record does not start 8-byte aligned");
    KEEL_ASSERT(h.length == total, "journal record length differs from its payload's");
    write_record(base_ + used_, h, first, first_length, second, second_length);
    if (used_ == sizeof(SegmentHeader)) {
        // First record of this segment: record its sequence in the header (sparse index).
        SegmentHeader sh;
        std::memcpy(&sh, base_, sizeof sh);
        sh.first_seq = seq;
        sh.crc = segment_header_crc(sh);
        std::memcpy(base_, &sh, sizeof sh);
    }
    used_ += size;
    KEEL_ASSERT(used_ <= capacity_, "journal append ran past its mapped segment");
    ++records_;
    records_published_.store(records_, std::memory_order_relaxed);
    bytes_published_.store(bytes_published_.load(std::memory_order_relaxed) + size,
                           std::memory_order_relaxed);
    last_seq_ = seq;

    switch (options_.durability) {
        case Durability::os:
            publish_durable();
            break;
        case Durability::sync:
            return sync();
        case Durability::group: {
            const auto now = std::chrono::steady_clock::now();
            if (records_ - synced_records_ >= options_.group_records ||
                now - last_sync_ >= std::chrono::microseconds(options_.group_interval_us)) {
                return sync();
            }
            break;
        }
    }
    return {};
}

Status StreamWriter::sync() noexcept {
    if (failed_)
        return failure_;
    if (fd_ < 0)
        return {};
    if (options_.datasync(fd_) != 0)
        return fail(Status::from_errno(errno, "fdatasync segment of", stream_));
    last_sync_ = std::chrono::steady_clock::now();
    publish_durable();
    return {};
}

Status StreamWriter::close() noexcept {
    closed_ = true;
    if (helper_.joinable()) {
        wait_helper();
        if (job_.load(std::memory_order_acquire) == kDone)
            discard(prepared_);  // prepared, never used
        job_.store(kStop, std::memory_order_release);
        job_.notify_one();
        helper_.join();
    }
    if (base_ == nullptr)
        return failed_ ? failure_ : Status{};
    Status s = seal_segment();
    if (s.ok() && options_.durability != Durability::os)
        publish_durable();
    return failed_ ? failure_ : s;
}

}  // namespace keel::journal
