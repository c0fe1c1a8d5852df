// Reading and recovering journal streams.
//
// scan_stream reads every segment of a stream in order without modifying anything, checking
// segment headers, every record's length and CRC, and sequence order (strictly +1 for the
// `input` stream, non-decreasing for derived streams). The first bad record ends the stream.
// It is a torn tail when it is in the last segment and nothing valid follows it (what a crash
// mid-append leaves); anywhere else it is corruption, reported with file and byte offset and
// never skipped. The journal's manifest (manifest.hpp) adds its checks: a stream it lists must
// exist, one it does not list must not, and in a cleanly closed journal nothing may be torn
// and every segment must match its seal. Without a manifest, a missing input stream beside
// derived ones is corruption. recover_stream does the same scan, then cuts a torn tail: the cut bytes are
// kept in "<segment>.torn" and the segment is truncated at the end of its valid records.
#pragma once

#include "keel/journal/manifest.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/journal/format.hpp"
#include "keel/journal/status.hpp"

namespace keel::journal {

struct RecordView {
    const RecordHeader* header;
    const unsigned char* payload;  // header->length bytes
    std::uint64_t segment_index;
    std::uint64_t offset;  // of the header in its segment file
};

struct SegmentInfo {
    std::filesystem::path path;
    std::uint64_t index = 0;
    std::uint64_t first_seq = 0;
    std::uint64_t file_bytes = 0;
    std::uint64_t data_end = 0;  // offset just past the last valid record
    std::uint64_t records = 0;
    std::uint64_t first_record_seq = 0;  // of its first and last valid record (0: none)
    std::uint64_t last_seq = 0;
    std::uint32_t check = 0;  // CRC32C over its records' CRCs, in order (manifest seals)
};

struct ScanIssue {
    bool torn = false;  // true: torn tail (recoverable); false: corruption
    std::string file;
    std::uint64_t offset = 0;
    std::uint64_t bytes = 0;  // torn: how many bytes recovery would cut
    std::string what;
};

struct StreamScan {
    std::string stream;
    std::vector<SegmentInfo> segments;
    std::uint64_t records = 0;
    std::uint64_t first_seq = 0, last_seq = 0;
    std::int64_t first_ts_ns = 0, last_ts_ns = 0;
    std::map<std::uint16_t, std::uint64_t> records_by_type;
    std::optional<ScanIssue> issue;
    // Trailing segment files with no header yet (prepared ahead, or cut short while being
    // created): not part of the stream; recovery removes them.
    std::vector<std::filesystem::path> unused_segments;
};

using RecordFn = std::function<void(const RecordView&)>;

// Scans one stream. Returns not ok only when the stream cannot be read at all (missing
// directory, unreadable file, newer format version); bad records are reported in out.issue.
[[nodiscard]] Status scan_stream(const std::filesystem::path& dir, std::string_view stream,
                                 StreamScan& out, const RecordFn& on_record);
// Scans and cuts a torn tail; corruption is returned as Errc::corrupt naming file and offset.
[[nodiscard]] Status recover_stream(const std::filesystem::path& dir, std::string_view stream,
                                    StreamScan& out);
// Whether a segment file's header has been written. A writer prepares its next segment ahead
// (all zeros) and writes the header only when it moves into it; until then the segment holds
// no data and the one before it is still the stream's last.
[[nodiscard]] bool segment_started(const std::filesystem::path& segment);

// The seal of one segment file (manifest.hpp): scanned whole; an error when it does not hold
// only valid records of `stream` (a sealed segment ends at its last record).
[[nodiscard]] Status seal_of_segment(const std::filesystem::path& dir, std::string_view stream,
                                     std::uint64_t index, SegmentSeal& out);

// The streams present in a journal directory (with segment files), sorted.
[[nodiscard]] std::vector<std::string> list_streams(const std::filesystem::path& dir);
// The streams a journal must hold, sorted: those present, those its manifest lists (a missing
// one then scans as corrupt), and `input` whenever any other stream is present.
[[nodiscard]] std::vector<std::string> journal_streams(const std::filesystem::path& dir);
// The first damage in any of the journal's streams (one that cannot be read, or an issue that
// is not a torn tail) as "FILE offset N: what"; nothing when every stream is whole up to at
// most a torn tail. For readers that must refuse a damaged journal before reading any of it.
[[nodiscard]] std::optional<std::string> journal_damage(const std::filesystem::path& dir);

}  // namespace keel::journal
