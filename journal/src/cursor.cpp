#include "keel/journal/cursor.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "keel/assert.hpp"

namespace keel::journal {
namespace {

constexpr std::size_t kChunk = 1 << 20;

int stream_rank(const std::string& s) {
    if (s == "input")
        return 0;
    if (s == "strategy")
        return 1;
    if (s == "risk")
        return 2;
    if (s == "gateway")
        return 3;
    return 4;
}

}  // namespace

StreamCursor::StreamCursor(std::filesystem::path dir, std::string stream)
    : dir_(std::move(dir)), stream_(std::move(stream)), strict_(stream_ == "input") {}

StreamCursor::~StreamCursor() {
    if (fd_ >= 0)
        ::close(fd_);
}

bool StreamCursor::segment_exists(std::uint64_t index) const {
    struct stat st {};
    return ::stat((dir_ / segment_file_name(stream_, index)).c_str(), &st) == 0;
}

bool StreamCursor::segment_started(std::uint64_t index) const {
    return journal::segment_started(dir_ / segment_file_name(stream_, index));
}

bool StreamCursor::open_segment(std::uint64_t index) {
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = ::open((dir_ / segment_file_name(stream_, index)).c_str(), O_RDONLY | O_CLOEXEC);
    index_ = index;
    buf_len_ = 0;
    pos_ = sizeof(SegmentHeader);
    return fd_ >= 0;
}

bool StreamCursor::fill(std::uint64_t offset, std::size_t n) {
    if (offset >= buf_start_ && offset + n <= buf_start_ + buf_len_)
        return true;
    const std::size_t want = std::max(n, kChunk);
    if (buf_.size() < want)
        buf_.resize(want);
    buf_start_ = offset;
    buf_len_ = 0;
    while (buf_len_ < want) {
        const ssize_t r = ::pread(fd_, buf_.data() + buf_len_, want - buf_len_,
                                  static_cast<off_t>(offset + buf_len_));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        buf_len_ += static_cast<std::size_t>(r);
    }
    return buf_len_ >= n;
}

StreamCursor::Next StreamCursor::fail(std::uint64_t offset, std::string what) {
    issue_ = ScanIssue{false, (dir_ / segment_file_name(stream_, index_)).string(), offset, 0,
                       std::move(what)};
    return Next::bad;
}

Status StreamCursor::seek(std::uint64_t from) {
    issue_.reset();
    records_ = 0;
    last_seq_ = 0;
    skip_below_ = from;
    // The last segment whose first record is at or before `from` holds it (or what follows).
    std::uint64_t start = 0;
    for (std::uint64_t i = 0; segment_exists(i); ++i) {
        if (!open_segment(i))
            return Status::from_errno(errno, "open segment of", stream_.c_str());
        SegmentHeader h{};
        if (!fill(0, sizeof h))
            break;
        std::memcpy(&h, buf_.data(), sizeof h);
        if (h.first_seq == 0 || h.first_seq > from)
            break;
        start = i;
    }
    if (!segment_exists(start)) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
        index_ = 0;
        return {};
    }
    if (!open_segment(start))
        return Status::from_errno(errno, "open segment of", stream_.c_str());
    return {};
}

StreamCursor::Next StreamCursor::next(RecordView& out) {
    stopped_short_ = false;
    const Next n = advance(out);
    // At the end of what is written, forget the buffered bytes: they may be preallocated
    // zeros that the writer is about to fill.
    if (n == Next::end)
        buf_len_ = 0;
    return n;
}

StreamCursor::Next StreamCursor::advance(RecordView& out) {
    if (issue_)
        return Next::bad;
    for (;;) {
        if (fd_ < 0) {
            if (!segment_exists(index_) || !open_segment(index_))
                return Next::end;
        }
        if (pos_ == sizeof(SegmentHeader)) {
            SegmentHeader h{};
            if (!fill(0, sizeof h) || all_zero(buf_.data(), sizeof h)) {
                if (segment_started(index_ + 1))
                    return fail(0, "segment header missing");
                ::close(fd_);  // header not written yet: a segment being created
                fd_ = -1;
                return Next::end;
            }
            std::memcpy(&h, buf_.data() + (0 - buf_start_), sizeof h);
            if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 ||
                segment_header_crc(h) != h.crc) {
                return fail(0, "bad segment header");
            }
            if (h.version > kFormatVersion)
                return fail(0, "written by a newer keel (format version)");
        }
        RecordHeader r{};
        const bool have_header = fill(pos_, sizeof r);
        if (have_header)
            std::memcpy(&r, buf_.data() + (pos_ - buf_start_), sizeof r);
        if (!have_header || (r.length == 0 && r.crc == 0)) {
            // End of this segment's data. It is finished only if the next segment exists.
            if (!segment_started(index_ + 1))
                return Next::end;
            ::close(fd_);
            fd_ = -1;
            ++index_;
            pos_ = sizeof(SegmentHeader);
            continue;
        }
        if (r.length > kMaxRecordPayload)
            return fail(pos_, "record length is absurd");
        const std::size_t size = record_size(r.length);
        if (!fill(pos_, size)) {
            // Not all there: being written now, or torn. Only a later segment settles it.
            if (segment_started(index_ + 1))
                return fail(pos_, "record runs past the end of the file");
            stopped_short_ = true;
            return Next::end;
        }
        const unsigned char* at = buf_.data() + (pos_ - buf_start_);
        if (record_crc(at, r.length) != r.crc) {
            if (segment_started(index_ + 1))
                return fail(pos_, "record CRC mismatch");
            stopped_short_ = true;
            return Next::end;  // a record mid-write in a live segment looks like this too
        }
        if (records_ > 0 && (strict_ ? r.seq != last_seq_ + 1 : r.seq < last_seq_)) {
            return fail(
                pos_, "sequence " + std::to_string(r.seq) + " after " + std::to_string(last_seq_));
        }
        // The checks above, stated again for the record they passed (the writer states its
        // side when it writes one): its length is within the bound, its sequence keeps the
        // order its stream requires, and it lies within the bytes read (`at` points into
        // buf_). The sequence is stated next to its check, where the compiler can fold it.
        KEEL_ASSERT(r.length <= kMaxRecordPayload, "a journal record passed over the length bound");
        KEEL_ASSERT(records_ == 0 || (strict_ ? r.seq == last_seq_ + 1 : r.seq >= last_seq_),
                    "a journal record passed out of sequence");
        KEEL_ASSERT(pos_ >= buf_start_ && pos_ + size <= buf_start_ + buf_len_,
                    "a journal record passed outside the bytes read");
        const std::uint64_t offset = pos_;
        pos_ += size;
        if (r.seq < skip_below_)
            continue;  // before the seek target
        ++records_;
        last_seq_ = r.seq;
        out = RecordView{reinterpret_cast<const RecordHeader*>(at), at + sizeof r, index_, offset};
        return Next::record;
    }
}

Status JournalReader::open(const std::filesystem::path& dir, std::vector<std::string> streams) {
    if (streams.empty())
        streams = list_streams(dir);
    if (streams.empty())
        return Status::error(Errc::not_found, "%s: no journal streams", dir.c_str());
    heads_.clear();
    for (const std::string& s : streams) {
        Head h;
        h.cursor = std::make_unique<StreamCursor>(dir, s);
        h.rank = stream_rank(s);
        heads_.push_back(std::move(h));
    }
    return seek(0);
}

Status JournalReader::seek(std::uint64_t from) {
    for (Head& h : heads_) {
        h.has = false;
        h.stopped = false;
        if (Status s = h.cursor->seek(from); !s.ok())
            return s;
    }
    return {};
}

StreamCursor::Next JournalReader::next(RecordView& out, std::string& stream) {
    bool bad = false;
    for (Head& h : heads_) {
        if (h.has || h.stopped) {
            bad = bad || h.stopped;
            continue;
        }
        RecordView v{};
        switch (h.cursor->next(v)) {
            case StreamCursor::Next::record:
                h.has = true;
                h.header = *v.header;
                h.payload.assign(v.payload, v.payload + v.header->length);
                h.segment_index = v.segment_index;
                h.offset = v.offset;
                break;
            case StreamCursor::Next::bad:
                h.stopped = true;
                bad = true;
                break;
            case StreamCursor::Next::end:
                break;
        }
    }
    Head* best = nullptr;
    for (Head& h : heads_) {
        if (!h.has)
            continue;
        if (best == nullptr || h.header.seq < best->header.seq ||
            (h.header.seq == best->header.seq && h.rank < best->rank)) {
            best = &h;
        }
    }
    if (best == nullptr)
        return bad ? StreamCursor::Next::bad : StreamCursor::Next::end;
    // In a finished journal every stream without a record is at its end, so this is the true
    // merged order. When following a live journal it is the order of what has been written so
    // far: a stage's record can only follow the input it was derived from.
    out_header_ = best->header;
    out_payload_.swap(best->payload);
    best->has = false;
    out = RecordView{&out_header_, out_payload_.data(), best->segment_index, best->offset};
    stream = best->cursor->stream();
    return StreamCursor::Next::record;
}

std::vector<std::string> JournalReader::stopped_short() const {
    std::vector<std::string> out;
    for (const Head& h : heads_) {
        if (h.cursor->stopped_short())
            out.push_back(h.cursor->stream());
    }
    return out;
}

std::optional<ScanIssue> JournalReader::issue() const {
    for (const Head& h : heads_) {
        if (h.cursor->issue())
            return h.cursor->issue();
    }
    return std::nullopt;
}

std::string JournalReader::issue_stream() const {
    for (const Head& h : heads_) {
        if (h.cursor->issue())
            return h.cursor->stream();
    }
    return {};
}

}  // namespace keel::journal
