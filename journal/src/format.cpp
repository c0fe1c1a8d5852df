#include "keel/journal/format.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "keel/journal/crc32c.hpp"

namespace keel::journal {

std::uint32_t record_crc(const unsigned char* record, std::uint32_t length) noexcept {
    return crc32c(record + sizeof(std::uint32_t),
                  sizeof(RecordHeader) - sizeof(std::uint32_t) + length);
}

std::uint32_t segment_header_crc(const SegmentHeader& header) noexcept {
    return crc32c(&header, offsetof(SegmentHeader, crc));
}

SegmentHeader make_segment_header(std::string_view stream, std::uint64_t first_seq,
                                  std::uint64_t segment_index) noexcept {
    SegmentHeader h;
    std::memset(&h, 0, sizeof h);
    std::memcpy(h.magic, kMagic, sizeof kMagic);
    h.version = kFormatVersion;
    h.header_size = sizeof(SegmentHeader);
    std::memcpy(h.stream, stream.data(), std::min(stream.size(), kMaxStreamName));
    h.first_seq = first_seq;
    h.segment_index = segment_index;
    h.crc = segment_header_crc(h);
    return h;
}

std::string segment_file_name(std::string_view stream, std::uint64_t index) {
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".%06llu.seg", static_cast<unsigned long long>(index));
    return std::string(stream) + suffix;
}

bool valid_stream_name(std::string_view stream) noexcept {
    if (stream.empty() || stream.size() > kMaxStreamName)
        return false;
    for (char c : stream) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

}  // namespace keel::journal
