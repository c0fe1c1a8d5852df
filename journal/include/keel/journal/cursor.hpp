// Cursors over journal streams, for reading in order, seeking by sequence and following a live
// journal. They read with pread in chunks rather than mmap: a live segment is truncated when
// it is sealed, and a mapping read past the new end would fault.
//
// StreamCursor reads one stream; JournalReader merges several by sequence (for equal
// sequences: input, then strategy, risk, gateway: the order in which they were derived).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keel/journal/reader.hpp"

namespace keel::journal {

class StreamCursor {
  public:
    enum class Next { record, end, bad };

    StreamCursor(std::filesystem::path dir, std::string stream);
    ~StreamCursor();
    StreamCursor(const StreamCursor&) = delete;
    StreamCursor& operator=(const StreamCursor&) = delete;

    // Positions before the first record with seq >= from, using each segment header's first
    // sequence to skip whole segments (the sparse index).
    [[nodiscard]] Status seek(std::uint64_t from);
    // record: `out` is valid until the next call. end: no more data now (a live stream may
    // grow; call again later). bad: a record that fails its checks; issue() says where.
    [[nodiscard]] Next next(RecordView& out);
    [[nodiscard]] const std::optional<ScanIssue>& issue() const noexcept { return issue_; }
    [[nodiscard]] const std::string& stream() const noexcept { return stream_; }
    // After `end`: true when the data stopped at an incomplete record (one being written, or a
    // torn tail) rather than at the end of what was written.
    [[nodiscard]] bool stopped_short() const noexcept { return stopped_short_; }

  private:
    Next advance(RecordView& out);
    bool open_segment(std::uint64_t index);
    bool segment_exists(std::uint64_t index) const;
    bool segment_started(std::uint64_t index) const;
    // Makes [offset, offset + n) of the current segment available in buf_; false if the
    // file is shorter.
    bool fill(std::uint64_t offset, std::size_t n);
    Next fail(std::uint64_t offset, std::string what);

    std::filesystem::path dir_;
    std::string stream_;
    bool strict_;
    int fd_ = -1;
    std::uint64_t index_ = 0;
    std::uint64_t pos_ = 0;  // next record's offset in the current segment
    std::uint64_t records_ = 0;
    std::uint64_t last_seq_ = 0;
    std::uint64_t skip_below_ = 0;
    std::vector<unsigned char> buf_;
    std::uint64_t buf_start_ = 0;
    std::size_t buf_len_ = 0;
    std::optional<ScanIssue> issue_;
    bool stopped_short_ = false;
};

class JournalReader {
  public:
    // streams: names to merge ("all" streams present if empty).
    [[nodiscard]] Status open(const std::filesystem::path& dir, std::vector<std::string> streams);
    [[nodiscard]] Status seek(std::uint64_t from);
    // The next record in merged order. end: every stream is at its end for now. bad: a stream
    // stopped at a bad record (issue() says which); the others can still be read.
    [[nodiscard]] StreamCursor::Next next(RecordView& out, std::string& stream);
    [[nodiscard]] std::optional<ScanIssue> issue() const;
    // The stream issue() is about (empty when none).
    [[nodiscard]] std::string issue_stream() const;
    // After `end`: the streams whose cursor stopped at an incomplete record.
    [[nodiscard]] std::vector<std::string> stopped_short() const;

  private:
    struct Head {
        std::unique_ptr<StreamCursor> cursor;
        int rank = 0;
        bool has = false;
        bool stopped = false;
        RecordHeader header{};
        std::vector<unsigned char> payload;
        std::uint64_t segment_index = 0, offset = 0;
    };
    std::vector<Head> heads_;
    std::vector<unsigned char> out_payload_;
    RecordHeader out_header_{};
};

}  // namespace keel::journal
