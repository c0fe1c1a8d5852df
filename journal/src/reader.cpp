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
#include "keel/journal/crc32c.hpp"
#include "keel/journal/manifest.hpp"

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
    return {};
}

// The first segment index missing before a later segment (a gap), if any.
std::optional<std::uint64_t> missing_segment(const std::vector<SegmentFile>& files) {
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (files[i].index != i)
            return i;
    }
    return std::nullopt;
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
        if (info.records == 0)
            info.first_record_seq = r.seq;
        info.last_seq = r.seq;
        info.check = crc32c(&r.crc, sizeof r.crc, info.check);
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

// Whether a segment file holds nothing but zeros (prepared, never written).
bool segment_blank(const fs::path& segment) {
    MappedFile f;
    if (!f.open(segment).ok())
        return false;
    return all_zero(f.data(), f.size());
}

// The issue of a stream that must exist and has no segment with data, or that the manifest
// does not list; true when out.issue was set.
bool stream_missing_issue(const fs::path& dir, std::string_view stream,
                          const std::optional<Manifest>& manifest, bool no_files, StreamScan& out) {
    const std::string first = (dir / segment_file_name(stream, 0)).string();
    const std::string name(stream);
    if (manifest && !manifest->lists(stream) && !no_files) {
        out.issue = ScanIssue{false, first, 0, 0,
                              "stream " + name + " is not listed in the journal's manifest"};
        return true;
    }
    if (!no_files)
        return false;
    if (manifest && manifest->lists(stream) &&
        (manifest->closed ? manifest->seals_of(stream) != nullptr : true) && !fs::exists(first)) {
        out.issue =
            ScanIssue{false, first, 0, 0, "missing: the journal's manifest lists stream " + name};
        return true;
    }
    if (!manifest && stream == "input" && !list_streams(dir).empty()) {
        out.issue = ScanIssue{false, first, 0, 0,
                              "missing: the journal holds derived streams but no input stream"};
        return true;
    }
    return false;
}

// A stream against the manifest's seals. Closed: nothing torn, every segment as sealed. Open
// (a crash, or a writer at work): every segment the writers have sealed (rolled past) as
// sealed, and nothing torn in one; the last segment, unsealed, may be torn.
void check_seals(const fs::path& dir, std::string_view stream, const Manifest& m, StreamScan& out) {
    static const std::vector<SegmentSeal> kNone;
    const std::vector<SegmentSeal>* sealed = m.seals_of(stream);
    const std::vector<SegmentSeal>& seals = sealed != nullptr ? *sealed : kNone;
    const std::string note = m.closed ? " (the journal was closed cleanly, so this is damage)"
                                      : " (a sealed segment, so this is damage)";
    if (out.issue) {
        if (!out.issue->torn)
            return;  // corrupt already
        // A torn tail is in the stream's last segment (the last one scanned): damage when the
        // journal was closed or that segment was sealed, else the sealed ones before it are
        // still held to their seals below.
        const std::size_t at = out.segments.empty() ? 0 : out.segments.size() - 1;
        if (m.closed || at < seals.size()) {
            out.issue->torn = false;
            out.issue->bytes = 0;
            out.issue->what += note;
            return;
        }
    }
    const std::size_t n = m.closed ? std::max(seals.size(), out.segments.size()) : seals.size();
    for (std::size_t i = 0; i < n; ++i) {
        const std::string file = (dir / segment_file_name(stream, i)).string();
        if (i >= out.segments.size()) {
            out.issue = ScanIssue{false, file, 0, 0, "sealed segment missing or blank" + note};
            return;
        }
        const SegmentInfo& g = out.segments[i];
        if (i >= seals.size()) {
            out.issue = ScanIssue{false, file, 0, 0, "segment not in the manifest's seals" + note};
            return;
        }
        const SegmentSeal& s = seals[i];
        const char* what = nullptr;
        if (g.data_end != s.data_end)
            what = "its data ends elsewhere than its seal says";
        else if (g.records != s.records || g.first_record_seq != s.first_seq ||
                 g.last_seq != s.last_seq)
            what = "its records differ from its seal (count or sequences)";
        else if (g.check != s.check)
            what = "its records' CRCs differ from its seal";
        else if (g.file_bytes != s.file_bytes)
            what = "its length differs from its seal";
        if (what != nullptr) {
            out.issue = ScanIssue{false, file, std::min(g.data_end, s.data_end), 0,
                                  std::string(what) + note};
            return;
        }
    }
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
    std::optional<Manifest> manifest;
    if (Status s = read_manifest(dir, manifest); !s.ok()) {
        if (s.code != Errc::corrupt)
            return s;
        out.issue = ScanIssue{false, (dir / kManifestName).string(), 0, 0, std::string(s.what())};
        return {};
    }
    std::vector<SegmentFile> files;
    if (Status s = list_segments(dir, stream, files); !s.ok())
        return s;
    if (const auto gap = missing_segment(files)) {
        // A segment missing before later ones: records are gone from the middle of the stream.
        out.issue = ScanIssue{false, (dir / segment_file_name(stream, *gap)).string(), 0, 0,
                              "segment missing (later segments of the stream exist)"};
        return {};
    }
    // Trailing segment files that hold nothing but zeros were never written: prepared ahead
    // by a writer and never used, or cut short by a crash while being created. They are not
    // part of the stream (recovery removes them). A file with a byte of data is never one.
    while (!files.empty() && segment_blank(files.back().path)) {
        out.unused_segments.push_back(files.back().path);
        files.pop_back();
    }
    if (stream_missing_issue(dir, stream, manifest, files.empty(), out))
        return {};
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
    if (manifest)
        check_seals(dir, stream, *manifest, out);
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

Status seal_of_segment(const fs::path& dir, std::string_view stream, std::uint64_t index,
                       SegmentSeal& out) {
    const fs::path path = dir / segment_file_name(stream, index);
    MappedFile f;
    if (Status s = f.open(path); !s.ok())
        return s;
    const std::string file = path.string();
    const SegmentBytes seg{f.data(), f.size(), false, file};
    StreamScan scan;
    SegmentInfo info;
    info.path = path;
    info.index = index;
    info.file_bytes = seg.size;
    if (Status s = check_segment_header(seg, stream, info, scan); !s.ok())
        return s;
    if (!scan.issue)
        scan_records(seg, stream == "input", info, scan, {});
    if (scan.issue || info.data_end != info.file_bytes) {
        return Status::error(Errc::corrupt, "cannot seal %s: %s", file.c_str(),
                             scan.issue ? scan.issue->what.c_str() : "data after its records");
    }
    out = {index,         info.file_bytes, info.data_end, info.records, info.first_record_seq,
           info.last_seq, info.check};
    return {};
}

std::optional<std::string> journal_damage(const fs::path& dir) {
    for (const std::string& stream : journal_streams(dir)) {
        StreamScan scan;
        if (const Status s = scan_stream(dir, stream, scan, {}); !s.ok())
            return "stream " + stream + ": " + std::string(s.what());
        if (scan.issue && !scan.issue->torn)
            return scan.issue->file + " offset " + std::to_string(scan.issue->offset) + ": " +
                   scan.issue->what;
    }
    return std::nullopt;
}

std::vector<std::string> journal_streams(const fs::path& dir) {
    std::vector<std::string> streams = list_streams(dir);
    std::optional<Manifest> manifest;
    if (read_manifest(dir, manifest).ok() && manifest) {
        for (const std::string& s : manifest->streams)
            streams.push_back(s);
    }
    if (!streams.empty())
        streams.push_back("input");
    std::sort(streams.begin(), streams.end());
    streams.erase(std::unique(streams.begin(), streams.end()), streams.end());
    return streams;
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
