#include "keel/journal/reader.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "keel/assert.hpp"

namespace keel::journal {
namespace {

namespace fs = std::filesystem;

// A read-only view of a whole file (mmap; empty files have no mapping).
class MappedFile {
  public:
    Status open(const fs::path& path) {
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0)
            return Status::from_errno(errno, "open", path.c_str());
        struct stat st {};
        if (::fstat(fd_, &st) != 0)
            return Status::from_errno(errno, "stat", path.c_str());
        size_ = static_cast<std::uint64_t>(st.st_size);
        if (size_ > 0) {
            void* p = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd_, 0);
            if (p == MAP_FAILED)
                return Status::from_errno(errno, "map", path.c_str());
            data_ = static_cast<const unsigned char*>(p);
        }
        return {};
    }
    ~MappedFile() {
        if (data_ != nullptr)
            ::munmap(const_cast<unsigned char*>(data_), size_);
        if (fd_ >= 0)
            ::close(fd_);
    }
    [[nodiscard]] const unsigned char* data() const { return data_; }
    [[nodiscard]] std::uint64_t size() const { return size_; }

  private:
    int fd_ = -1;
    const unsigned char* data_ = nullptr;
    std::uint64_t size_ = 0;
};

// Whether a valid record starts at `pos`.
bool valid_record_at(const unsigned char* data, std::uint64_t size, std::uint64_t pos) {
    if (pos + sizeof(RecordHeader) > size)
        return false;
    RecordHeader h;
    std::memcpy(&h, data + pos, sizeof h);
    if (h.length == 0 && h.crc == 0)
        return false;
    if (h.length > kMaxRecordPayload || pos + record_size(h.length) > size)
        return false;
    return record_crc(data + pos, h.length) == h.crc;
}

struct SegmentFile {
    std::uint64_t index;
    fs::path path;
};

// Segment files of `stream` sorted by index; a name that looks like a segment but does not
// parse is an error rather than something to skip.
Status list_segments(const fs::path& dir, std::string_view stream, std::vector<SegmentFile>& out) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec)
        return Status::error(Errc::not_found, "cannot read journal directory %s: %s", dir.c_str(),
                             ec.message().c_str());
    const std::string prefix = std::string(stream) + ".";
    for (const auto& entry : it) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(prefix, 0) != 0 || name.size() < 4 ||
            name.substr(name.size() - 4) != ".seg") {
            continue;
        }
        const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - 4);
        if (digits.empty() || digits.size() > 18 ||
            !std::all_of(digits.begin(), digits.end(),
                         [](char c) { return c >= '0' && c <= '9'; })) {
            return Status::error(Errc::corrupt, "unexpected file %s in journal", name.c_str());
        }
        out.push_back({std::stoull(digits), entry.path()});
    }
    std::sort(out.begin(), out.end(),
              [](const SegmentFile& a, const SegmentFile& b) { return a.index < b.index; });
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i].index != i) {
            return Status::error(Errc::corrupt, "stream %.*s: segment %zu is missing (found %s)",
                                 static_cast<int>(stream.size()), stream.data(), i,
                                 out[i].path.filename().c_str());
        }
    }
    return {};
}

// One segment file as a scan reads it.
struct SegmentBytes {
    const unsigned char* data;
    std::uint64_t size;
    bool last;  // the stream's last segment, where a bad tail may be a torn write
    const std::string& file;
};

// Checks the segment header of `seg` and takes its first sequence into `info`. A header that
// does not belong in this file becomes out.issue; one written by a newer keel is an error.
Status check_segment_header(const SegmentBytes& seg, std::string_view stream, SegmentInfo& info,
                            StreamScan& out) {
    auto problem = [&](const char* what) { out.issue = ScanIssue{false, seg.file, 0, 0, what}; };
    // Trailing segments without a header were set aside before the scan; one here is
    // followed by segments with data.
    if (seg.size < sizeof(SegmentHeader) || all_zero(seg.data, sizeof(SegmentHeader))) {
        problem("segment header missing or short");
        return {};
    }
    SegmentHeader h;
    std::memcpy(&h, seg.data, sizeof h);
    if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) {
        problem("not a keel journal segment (bad magic)");
        return {};
    }
    if (h.version > kFormatVersion) {
        return Status::error(
            Errc::newer_version,
            "%s: written by a newer keel (journal format %u; this keel reads up to %u)",
            seg.file.c_str(), h.version, kFormatVersion);
    }
    if (segment_header_crc(h) != h.crc || h.header_size != sizeof(SegmentHeader) ||
        h.segment_index != info.index ||
        std::string_view(h.stream, strnlen(h.stream, sizeof h.stream)) != stream) {
        problem("segment header does not match its file (CRC, index or stream)");
        return {};
    }
    info.first_seq = h.first_seq;
    return {};
}

// The issue a record at `pos` that failed the check `bad` makes: a torn tail if this is the
// last segment and nothing valid follows, corruption otherwise.
ScanIssue bad_record_issue(const SegmentBytes& seg, std::uint64_t pos, const char* bad) {
    std::uint64_t next_valid = 0;
    for (std::uint64_t p = pos + kRecordAlign; p + sizeof(RecordHeader) <= seg.size;
         p += kRecordAlign) {
        if (valid_record_at(seg.data, seg.size, p)) {
            next_valid = p;
            break;
        }
    }
    if (seg.last && next_valid == 0) {
        std::uint64_t end = seg.size;
        while (end > pos && seg.data[end - 1] == 0)
            --end;
        return ScanIssue{true, seg.file, pos, end - pos, bad};
    }
    if (next_valid != 0) {
        return ScanIssue{false, seg.file, pos, 0,
                         std::string(bad) + ", followed by a valid record at offset " +
                             std::to_string(next_valid)};
    }
    return ScanIssue{false, seg.file, pos, 0, std::string(bad) + " in a sealed segment"};
}

// Reads the records of `seg` after its header, in one pass, counting them into `out` and
// `info` (data_end: where its data ends), up to the first record that fails a check
// (out.issue).
void scan_records(const SegmentBytes& seg, bool strict, SegmentInfo& info, StreamScan& out,
                  const RecordFn& on_record) {
    const unsigned char* data = seg.data;
    const std::uint64_t size = seg.size;
    std::uint64_t pos = sizeof(SegmentHeader);
    while (pos < size) {
        const char* bad = nullptr;
        RecordHeader r{};
        if (pos + sizeof(RecordHeader) > size) {
            if (all_zero(data + pos, size - pos))
                break;
            bad = "truncated record header";
        } else {
            std::memcpy(&r, data + pos, sizeof r);
            if (all_zero(data + pos, sizeof r)) {
                if (all_zero(data + pos, size - pos))
                    break;  // preallocated, unwritten
                bad = "empty record header followed by data";
            } else if (r.length > kMaxRecordPayload) {
                bad = "record length is absurd";
            } else if (pos + record_size(r.length) > size) {
                bad = "record runs past the end of the file";
            } else if (record_crc(data + pos, r.length) != r.crc) {
                bad = "record CRC mismatch";
            } else if (!all_zero(data + pos + sizeof r + r.length,
                                 record_size(r.length) - sizeof r - r.length)) {
                bad = "record padding is not zero";  // the CRC does not cover padding
            } else if (out.records > 0 &&
                       (strict ? r.seq != out.last_seq + 1 : r.seq < out.last_seq)) {
                // A valid record out of sequence is corruption wherever it is.
                out.issue = ScanIssue{false, seg.file, pos, 0,
                                      "sequence " + std::to_string(r.seq) + " after " +
                                          std::to_string(out.last_seq) +
                                          (strict ? " (input sequences must be consecutive)" : "")};
                break;
            }
        }
        if (bad != nullptr) {
            out.issue = bad_record_issue(seg, pos, bad);
            break;
        }
        // The checks above, stated again for the record they passed (the writer states its
        // side when it writes one): its length is within the bound, its sequence keeps the
        // order its stream requires, and it lies within the file.
        KEEL_ASSERT(r.length <= kMaxRecordPayload, "a journal record passed over the length bound");
        KEEL_ASSERT(
            out.records == 0 || (strict ? r.seq == out.last_seq + 1 : r.seq >= out.last_seq),
            "a journal record passed out of sequence");
        KEEL_ASSERT(pos + record_size(r.length) <= size, "a journal record passed past its file");
        if (out.records == 0) {
            out.first_seq = r.seq;
            out.first_ts_ns = r.ts_ns;
        }
        ++out.records;
        ++info.records;
        out.last_seq = r.seq;
        out.last_ts_ns = r.ts_ns;
        ++out.records_by_type[r.type];
        if (on_record) {
            on_record(RecordView{reinterpret_cast<const RecordHeader*>(data + pos),
                                 data + pos + sizeof r, info.index, pos});
        }
        pos += record_size(r.length);
    }
    info.data_end = pos;
}

}  // namespace

Status scan_stream(const fs::path& dir, std::string_view stream, StreamScan& out,
                   const RecordFn& on_record) {
    out = StreamScan{};
    out.stream = std::string(stream);
    if (!valid_stream_name(stream)) {
        return Status::error(Errc::invalid_argument, "bad stream name '%.*s'",
                             static_cast<int>(stream.size()), stream.data());
    }
    std::vector<SegmentFile> files;
    if (Status s = list_segments(dir, stream, files); !s.ok())
        return s;
    // Trailing segments whose header was never written hold no data: prepared ahead by a
    // writer and never used, or cut short by a crash while being created. They are not part
    // of the stream (recovery removes them).
    while (!files.empty() && !segment_started(files.back().path)) {
        out.unused_segments.push_back(files.back().path);
        files.pop_back();
    }
    const bool strict = stream == "input";

    for (std::size_t si = 0; si < files.size() && !out.issue; ++si) {
        MappedFile f;
        if (Status s = f.open(files[si].path); !s.ok())
            return s;
        const std::string file = files[si].path.string();
        const SegmentBytes seg{f.data(), f.size(), si + 1 == files.size(), file};
        SegmentInfo info;
        info.path = files[si].path;
        info.index = files[si].index;
        info.file_bytes = seg.size;
        if (Status s = check_segment_header(seg, stream, info, out); !s.ok())
            return s;
        if (out.issue)
            break;  // a segment whose header is bad is not part of the scan's segments
        scan_records(seg, strict, info, out, on_record);
        out.segments.push_back(info);
    }
    return {};
}

Status recover_stream(const fs::path& dir, std::string_view stream, StreamScan& out) {
    if (Status s = scan_stream(dir, stream, out, {}); !s.ok())
        return s;
    for (const fs::path& unused : out.unused_segments) {
        if (::unlink(unused.c_str()) != 0)
            return Status::from_errno(errno, "remove", unused.c_str());
    }
    if (!out.issue)
        return {};
    const ScanIssue& issue = *out.issue;
    if (!issue.torn) {
        return Status::error(Errc::corrupt, "%s at %s offset %llu", issue.what.c_str(),
                             issue.file.c_str(), static_cast<unsigned long long>(issue.offset));
    }
    // Keep the cut bytes, then truncate the segment at the end of its valid records.
    {
        MappedFile f;
        if (Status s = f.open(issue.file); !s.ok())
            return s;
        std::string torn_path = issue.file + ".torn";
        for (int n = 1; fs::exists(torn_path); ++n)
            torn_path = issue.file + ".torn." + std::to_string(n);
        const int fd = ::open(torn_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
            return Status::from_errno(errno, "create", torn_path.c_str());
        const unsigned char* p = f.data() + issue.offset;
        std::uint64_t left = issue.bytes;
        while (left > 0) {
            const ssize_t w = ::write(fd, p, left);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                const int err = errno;
                ::close(fd);
                return Status::from_errno(err, "write", torn_path.c_str());
            }
            p += w;
            left -= static_cast<std::uint64_t>(w);
        }
        if (::fsync(fd) != 0) {
            const int err = errno;
            ::close(fd);
            return Status::from_errno(err, "fsync", torn_path.c_str());
        }
        ::close(fd);
    }
    const int fd = ::open(issue.file.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return Status::from_errno(errno, "open", issue.file.c_str());
    const std::uint64_t keep = issue.offset;
    if (::ftruncate(fd, static_cast<off_t>(keep)) != 0 || ::fsync(fd) != 0) {
        const int err = errno;
        ::close(fd);
        return Status::from_errno(err, "truncate", issue.file.c_str());
    }
    ::close(fd);
    out.segments.back().file_bytes = keep;
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

bool segment_started(const fs::path& segment) {
    const int fd = ::open(segment.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    unsigned char head[sizeof(SegmentHeader)] = {};
    const ssize_t n = ::pread(fd, head, sizeof head, 0);
    ::close(fd);
    return n > 0 && !all_zero(head, static_cast<std::size_t>(n));
}

std::vector<std::string> list_streams(const fs::path& dir) {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        const auto dot = name.find('.');
        if (dot == std::string::npos || name.size() < 4 || name.substr(name.size() - 4) != ".seg")
            continue;
        names.insert(name.substr(0, dot));
    }
    return {names.begin(), names.end()};
}

}  // namespace keel::journal
