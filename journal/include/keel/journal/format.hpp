// The journal's on-disk format (version 1). A journal is a directory per session with one
// stream per writer; a stream is a run of segment files "<stream>.<index:06>.seg", each a
// 64-byte SegmentHeader followed by records. A record is a 32-byte RecordHeader and a payload,
// padded to 8 bytes; its CRC32C (the first field) covers every byte after it, the rest of the
// header and the payload, as one contiguous run.
// A record header of all zeros marks the end of written data in a preallocated segment.
// Everything is little-endian (static_assert below): the files are read where they are written.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace keel::journal {

static_assert(std::endian::native == std::endian::little, "the journal format is little-endian");

inline constexpr char kMagic[8] = {'K', 'E', 'E', 'L', 'J', 'R', 'N', 'L'};
inline constexpr std::uint32_t kFormatVersion = 1;
inline constexpr std::size_t kRecordAlign = 8;
// Bounds every allocation a reader makes: a length prefix above it is corruption, refused
// before anything is allocated.
inline constexpr std::uint32_t kMaxRecordPayload = 16u << 20;
inline constexpr std::size_t kMaxStreamName = 23;

struct SegmentHeader {
    char magic[8];
    std::uint32_t version;
    std::uint32_t header_size;        // sizeof(SegmentHeader), so later versions can grow it
    char stream[kMaxStreamName + 1];  // NUL-padded
    std::uint64_t first_seq;          // seq of the first record written to this segment (0 if none)
    std::uint64_t segment_index;
    std::uint32_t reserved;
    std::uint32_t crc;  // CRC32C of the bytes before it
};
static_assert(sizeof(SegmentHeader) == 64);

struct RecordHeader {
    std::uint32_t crc;     // CRC32C of the 28 header bytes after it and the payload
    std::uint32_t length;  // payload bytes, not counting padding
    std::uint16_t type;
    std::uint16_t flags;
    std::uint32_t reserved;
    std::uint64_t seq;
    std::int64_t ts_ns;
};
static_assert(sizeof(RecordHeader) == 32);
static_assert(sizeof(RecordHeader) % kRecordAlign == 0);

[[nodiscard]] constexpr std::size_t record_size(std::uint32_t payload_length) noexcept {
    return (sizeof(RecordHeader) + payload_length + kRecordAlign - 1) / kRecordAlign * kRecordAlign;
}

// The CRC a record must carry, for a record laid out contiguously at `record` (header, then
// payload, as in a segment): over bytes [4, 32 + length).
[[nodiscard]] std::uint32_t record_crc(const unsigned char* record, std::uint32_t length) noexcept;
[[nodiscard]] std::uint32_t segment_header_crc(const SegmentHeader& header) noexcept;
[[nodiscard]] SegmentHeader make_segment_header(std::string_view stream, std::uint64_t first_seq,
                                                std::uint64_t segment_index) noexcept;

[[nodiscard]] inline bool all_zero(const unsigned char* p, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
        if (p[i] != 0)
            return false;
    }
    return true;
}

// "<stream>.<index:06>.seg"
[[nodiscard]] std::string segment_file_name(std::string_view stream, std::uint64_t index);
// True for names a stream may have: 1..23 of [a-z0-9_].
[[nodiscard]] bool valid_stream_name(std::string_view stream) noexcept;

}  // namespace keel::journal
