// Proves the journal's format, writer and recovery: what the writer appends the reader returns,
// across segment rolls and a reopen; a torn tail (truncation at any byte, any single-bit flip
// in the last record, an absurd length) is cut back to exactly the longest valid prefix and
// kept in a .torn file; a bad record in a sealed segment, or one followed by valid records, is
// corruption named by file and offset; a newer format version is refused; the durable
// watermark follows the durability mode.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>
#include <chrono>
#include <cstring>
#include <iterator>
#include <optional>
#include <thread>

#include "keel/engine/core/event.hpp"
#include "keel/journal/cursor.hpp"
#include "keel/journal/manifest.hpp"
#include "keel/journal/reader.hpp"
#include "keel/journal/writer.hpp"

using namespace keel;
using namespace keel::journal;
namespace fs = std::filesystem;

namespace {

class JournalTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("keel_journal_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::unique_ptr<StreamWriter> open_writer(const WriterOptions& o,
                                              std::string_view stream = "input") {
        std::unique_ptr<StreamWriter> w;
        const Status s = StreamWriter::open(dir_, stream, o, w);
        EXPECT_TRUE(s.ok()) << s.what();
        return w;
    }

    fs::path dir_;
};

// Event i of a varied mix of types, with distinct payload bytes.
engine::Event event(std::uint64_t i) {
    // Every input and derived type (control events are never journaled).
    static constexpr engine::EventType kTypes[] = {
        engine::EventType::session_start, engine::EventType::symbol_def,
        engine::EventType::trade,         engine::EventType::quote,
        engine::EventType::bar,           engine::EventType::alert,
        engine::EventType::command,       engine::EventType::timer,
        engine::EventType::venue_ack,     engine::EventType::venue_fill,
        engine::EventType::venue_reject,  engine::EventType::venue_cancel,
        engine::EventType::order_denied,  engine::EventType::signal,
        engine::EventType::order_request, engine::EventType::risk_reject,
        engine::EventType::order_sent,    engine::EventType::order_state};
    constexpr std::size_t kTypeCount = sizeof kTypes / sizeof kTypes[0];
    engine::Event e = engine::make_event(kTypes[i % kTypeCount], engine::Source::feed, i,
                                         static_cast<std::int64_t>(i) * 1000,
                                         static_cast<engine::SymbolId>(i % 3));
    for (std::size_t b = 0; b < sizeof e.payload.bytes; ++b) {
        e.payload.bytes[b] = static_cast<unsigned char>(i * 31 + b);
    }
    return e;
}

Status append_event(StreamWriter& w, std::uint64_t i) {
    const engine::Event e = event(i);
    return w.append(static_cast<std::uint16_t>(e.header.type), e.header.seq, e.header.ts_ns, &e,
                    sizeof e);
}

std::vector<engine::Event> read_events(const fs::path& dir, StreamScan& scan) {
    std::vector<engine::Event> out;
    const Status s = scan_stream(dir, "input", scan, [&](const RecordView& r) {
        EXPECT_EQ(r.header->length, sizeof(engine::Event));
        engine::Event e;
        std::memcpy(&e, r.payload, sizeof e);
        EXPECT_EQ(r.header->seq, e.header.seq);
        EXPECT_EQ(r.header->type, static_cast<std::uint16_t>(e.header.type));
        out.push_back(e);
    });
    EXPECT_TRUE(s.ok()) << s.what();
    return out;
}

void flip_bit(const fs::path& file, std::uint64_t offset, int bit) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c;
    f.read(&c, 1);
    c = static_cast<char>(c ^ (1 << bit));
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(&c, 1);
}

constexpr std::uint64_t kRecord = record_size(sizeof(engine::Event));  // 96 bytes

}  // namespace

TEST_F(JournalTest, RoundTripsEveryRecordAcrossRollsAndReopen) {
    WriterOptions o;
    o.segment_bytes = 4096;  // ~41 records per segment
    {
        auto w = open_writer(o);
        for (std::uint64_t i = 1; i <= 500; ++i)
            ASSERT_TRUE(append_event(*w, i).ok());
        EXPECT_GT(w->segment_index(), 5u);
        ASSERT_TRUE(w->close().ok());
    }
    {
        auto w = open_writer(o);  // continues after the last record
        EXPECT_EQ(w->appended_records(), 500u);
        for (std::uint64_t i = 501; i <= 600; ++i)
            ASSERT_TRUE(append_event(*w, i).ok());
        ASSERT_TRUE(w->close().ok());
    }
    StreamScan scan;
    const auto events = read_events(dir_, scan);
    ASSERT_FALSE(scan.issue) << scan.issue->what;
    ASSERT_EQ(events.size(), 600u);
    for (std::uint64_t i = 1; i <= 600; ++i) {
        const engine::Event want = event(i);
        ASSERT_EQ(std::memcmp(&events[i - 1], &want, sizeof want), 0) << i;
    }
    EXPECT_EQ(scan.first_seq, 1u);
    EXPECT_EQ(scan.last_seq, 600u);
    EXPECT_EQ(scan.records_by_type.size(), 18u);  // every type went through
    EXPECT_EQ(scan.records_by_type.at(static_cast<std::uint16_t>(engine::EventType::trade)), 34u);
    ASSERT_GT(scan.segments.size(), 10u);
    EXPECT_EQ(scan.segments[1].first_seq, scan.segments[0].records + 1);  // sparse index
}

TEST_F(JournalTest, VariableLengthPayloadsRoundTrip) {
    auto w = open_writer({}, "strategy");
    std::vector<std::string> payloads = {"", "x", std::string(1000, 'c'), std::string(7, 'z')};
    for (std::size_t i = 0; i < payloads.size(); ++i) {
        ASSERT_TRUE(
            w->append(2, 5, 10, payloads[i].data(), static_cast<std::uint32_t>(payloads[i].size()))
                .ok());
    }
    ASSERT_TRUE(w->close().ok());
    StreamScan scan;
    std::vector<std::string> got;
    ASSERT_TRUE(scan_stream(dir_, "strategy", scan, [&](const RecordView& r) {
                    got.emplace_back(reinterpret_cast<const char*>(r.payload), r.header->length);
                }).ok());
    EXPECT_FALSE(scan.issue);
    EXPECT_EQ(got, payloads);
}

TEST_F(JournalTest, TruncationAtEveryByteOfTheLastRecordsLeavesTheLongestValidPrefix) {
    WriterOptions small;
    small.segment_bytes = 64 * 1024;
    auto w = open_writer(small);
    for (std::uint64_t i = 1; i <= 20; ++i)
        ASSERT_TRUE(append_event(*w, i).ok());
    ASSERT_TRUE(w->close().ok());
    const fs::path seg = dir_ / segment_file_name("input", 0);
    const std::uint64_t full = fs::file_size(seg);
    const fs::path copy = dir_.string() + "_copy";
    for (std::uint64_t cut = full - 3 * kRecord; cut < full; ++cut) {
        fs::remove_all(copy);
        fs::copy(dir_, copy);
        fs::resize_file(copy / segment_file_name("input", 0), cut);
        StreamScan scan;
        ASSERT_TRUE(recover_stream(copy, "input", scan).ok()) << cut;
        const std::uint64_t whole = (cut - sizeof(SegmentHeader)) / kRecord;
        EXPECT_EQ(scan.records, whole) << cut;
        EXPECT_EQ(fs::file_size(copy / segment_file_name("input", 0)),
                  sizeof(SegmentHeader) + whole * kRecord);
        const bool partial = (cut - sizeof(SegmentHeader)) % kRecord != 0;
        EXPECT_EQ(fs::exists(copy / (segment_file_name("input", 0) + ".torn")), partial) << cut;
        // After recovery the stream is clean and a writer continues it.
        StreamScan again;
        ASSERT_TRUE(scan_stream(copy, "input", again, {}).ok());
        EXPECT_FALSE(again.issue);
        std::unique_ptr<StreamWriter> w2;
        ASSERT_TRUE(StreamWriter::open(copy, "input", small, w2).ok());
        ASSERT_TRUE(append_event(*w2, whole + 1).ok());
        ASSERT_TRUE(w2->close().ok());
    }
    fs::remove_all(copy);
}

TEST_F(JournalTest, EverySingleBitFlipInTheTailRecordIsDetected) {
    auto w = open_writer({});
    for (std::uint64_t i = 1; i <= 5; ++i)
        ASSERT_TRUE(append_event(*w, i).ok());
    ASSERT_TRUE(w->close().ok());
    const fs::path seg = dir_ / segment_file_name("input", 0);
    const std::uint64_t last = sizeof(SegmentHeader) + 4 * kRecord;
    for (std::uint64_t byte = last; byte < last + kRecord; ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
            flip_bit(seg, byte, bit);
            StreamScan scan;
            ASSERT_TRUE(scan_stream(dir_, "input", scan, {}).ok());
            ASSERT_TRUE(scan.issue.has_value()) << byte << ":" << bit;
            EXPECT_TRUE(scan.issue->torn) << byte << ":" << bit;
            EXPECT_EQ(scan.issue->offset, last);
            EXPECT_EQ(scan.records, 4u);
            flip_bit(seg, byte, bit);  // restore
        }
    }
}

TEST_F(JournalTest, ABadRecordInASealedSegmentIsCorruptionNamedByFileAndOffset) {
    WriterOptions o;
    o.segment_bytes = 4096;
    auto w = open_writer(o);
    for (std::uint64_t i = 1; i <= 200; ++i)
        ASSERT_TRUE(append_event(*w, i).ok());
    ASSERT_TRUE(w->close().ok());
    const fs::path seg0 = dir_ / segment_file_name("input", 0);
    const std::uint64_t offset = sizeof(SegmentHeader) + 2 * kRecord;
    flip_bit(seg0, offset + 40, 3);
    StreamScan scan;
    ASSERT_TRUE(scan_stream(dir_, "input", scan, {}).ok());
    ASSERT_TRUE(scan.issue);
    EXPECT_FALSE(scan.issue->torn);
    EXPECT_EQ(scan.issue->file, seg0.string());
    EXPECT_EQ(scan.issue->offset, offset);
    const Status s = recover_stream(dir_, "input", scan);
    EXPECT_EQ(s.code, Errc::corrupt);
    EXPECT_NE(s.what().find(seg0.string()), std::string_view::npos) << s.what();
    EXPECT_NE(s.what().find("offset " + std::to_string(offset)), std::string_view::npos)
        << s.what();
    std::unique_ptr<StreamWriter> w2;
    EXPECT_EQ(StreamWriter::open(dir_, "input", o, w2).code,
              Errc::corrupt);  // no appending past it
}

TEST_F(JournalTest, ABadRecordFollowedByValidOnesInTheLastSegmentIsCorruption) {
    auto w = open_writer({});
    for (std::uint64_t i = 1; i <= 10; ++i)
        ASSERT_TRUE(append_event(*w, i).ok());
    ASSERT_TRUE(w->close().ok());
    flip_bit(dir_ / segment_file_name("input", 0), sizeof(SegmentHeader) + 5 * kRecord + 50, 0);
    StreamScan scan;
    ASSERT_TRUE(scan_stream(dir_, "input", scan, {}).ok());
    ASSERT_TRUE(scan.issue);
    EXPECT_FALSE(scan.issue->torn);
    EXPECT_NE(scan.issue->what.find("followed by a valid record"), std::string::npos);
    EXPECT_EQ(scan.records, 5u);
}

TEST_F(JournalTest, AnAbsurdLengthPrefixIsRejectedBeforeAnyAllocation) {
    auto w = open_writer({});
    for (std::uint64_t i = 1; i <= 3; ++i)
        ASSERT_TRUE(append_event(*w, i).ok());
    ASSERT_TRUE(w->close().ok());
    const fs::path seg = dir_ / segment_file_name("input", 0);
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    // The length field follows the 4-byte CRC.
    f.seekp(static_cast<std::streamoff>(sizeof(SegmentHeader) + 2 * kRecord + 4));
    const std::uint32_t absurd = 0xFFFFFFF0u;
    f.write(reinterpret_cast<const char*>(&absurd), 4);
    f.close();
    StreamScan scan;
    ASSERT_TRUE(scan_stream(dir_, "input", scan, {}).ok());
    ASSERT_TRUE(scan.issue);
    EXPECT_EQ(scan.issue->what, "record length is absurd");
    EXPECT_EQ(scan.records, 2u);
}

TEST_F(JournalTest, ACrashBeforeASegmentHeaderIsWrittenLeavesATornEmptySegment) {
    auto w = open_writer({});
    ASSERT_TRUE(append_event(*w, 1).ok());
    ASSERT_TRUE(w->close().ok());
    { std::ofstream(dir_ / segment_file_name("input", 1)) << std::string(4096, '\0'); }
    StreamScan scan;
    ASSERT_TRUE(recover_stream(dir_, "input", scan).ok());
    EXPECT_EQ(scan.records, 1u);
    EXPECT_FALSE(fs::exists(dir_ / segment_file_name("input", 1)));
}

TEST_F(JournalTest, ANewerFormatVersionIsRefusedNotMisread) {
    auto w = open_writer({});
    ASSERT_TRUE(append_event(*w, 1).ok());
    ASSERT_TRUE(w->close().ok());
    const fs::path seg = dir_ / segment_file_name("input", 0);
    SegmentHeader h;
    {
        std::ifstream in(seg, std::ios::binary);
        in.read(reinterpret_cast<char*>(&h), sizeof h);
    }
    h.version = kFormatVersion + 1;
    h.crc = segment_header_crc(h);
    {
        std::fstream out(seg, std::ios::in | std::ios::out | std::ios::binary);
        out.write(reinterpret_cast<const char*>(&h), sizeof h);
    }
    StreamScan scan;
    const Status s = scan_stream(dir_, "input", scan, {});
    EXPECT_EQ(s.code, Errc::newer_version);
    EXPECT_NE(s.what().find("newer keel"), std::string_view::npos);
}

TEST_F(JournalTest, InputSequencesMustBeConsecutive) {
    auto w = open_writer({});
    ASSERT_TRUE(append_event(*w, 1).ok());
    ASSERT_TRUE(append_event(*w, 2).ok());
    ASSERT_TRUE(append_event(*w, 4).ok());  // a gap
    ASSERT_TRUE(w->close().ok());
    StreamScan scan;
    ASSERT_TRUE(scan_stream(dir_, "input", scan, {}).ok());
    ASSERT_TRUE(scan.issue);
    EXPECT_FALSE(scan.issue->torn);
    EXPECT_NE(scan.issue->what.find("sequence 4 after 2"), std::string::npos);
}

TEST_F(JournalTest, DurableWatermarkFollowsTheMode) {
    {
        auto w = open_writer({}, "os");
        ASSERT_TRUE(append_event(*w, 1).ok());
        EXPECT_EQ(w->durable_records(), 1u);  // page cache
    }
    {
        WriterOptions o;
        o.durability = Durability::sync;
        auto w = open_writer(o, "sync");
        ASSERT_TRUE(append_event(*w, 7).ok());
        EXPECT_EQ(w->durable_records(), 1u);
        EXPECT_EQ(w->durable_seq(), 7u);
    }
    {
        WriterOptions o;
        o.durability = Durability::group;
        o.group_records = 3;
        o.group_interval_us = 3'600'000'000;  // an hour: only the record count triggers here
        auto w = open_writer(o, "group");
        ASSERT_TRUE(append_event(*w, 1).ok());
        ASSERT_TRUE(append_event(*w, 2).ok());
        EXPECT_EQ(w->durable_records(), 0u);
        ASSERT_TRUE(append_event(*w, 3).ok());
        EXPECT_EQ(w->durable_records(), 3u);
        ASSERT_TRUE(append_event(*w, 4).ok());
        EXPECT_EQ(w->durable_records(), 3u);
        ASSERT_TRUE(w->sync().ok());
        EXPECT_EQ(w->durable_records(), 4u);
    }
}

TEST_F(JournalTest, ABadLastRecordOfASealedSegmentIsCorruptionNotATornTail) {
    WriterOptions o;
    o.segment_bytes = 4096;
    auto w = open_writer(o);
    for (std::uint64_t i = 1; i <= 100; ++i)
        ASSERT_TRUE(append_event(*w, i).ok());
    ASSERT_TRUE(w->close().ok());
    const fs::path seg0 = dir_ / segment_file_name("input", 0);
    const std::uint64_t last_offset = fs::file_size(seg0) - kRecord;  // sealed: ends at its data
    flip_bit(seg0, last_offset + 33, 1);
    StreamScan scan;
    ASSERT_TRUE(scan_stream(dir_, "input", scan, {}).ok());
    ASSERT_TRUE(scan.issue);
    EXPECT_FALSE(scan.issue->torn);
    EXPECT_EQ(scan.issue->offset, last_offset);
    EXPECT_NE(scan.issue->what.find("sealed segment"), std::string::npos) << scan.issue->what;
    EXPECT_EQ(recover_stream(dir_, "input", scan).code, Errc::corrupt);
}

namespace {

// A small tmpfs mounted for one test (needs root, as CI has; skipped otherwise).
class SmallTmpfs {
  public:
    SmallTmpfs(const fs::path& at, const char* size) : path_(at) {
        fs::create_directories(at);
        const std::string cmd = "mount -t tmpfs -o size=" + std::string(size) + " tmpfs '" +
                                at.string() + "' 2>/dev/null";
        mounted_ = std::system(cmd.c_str()) == 0;
    }
    ~SmallTmpfs() {
        if (mounted_) [[maybe_unused]]
            int rc = std::system(("umount '" + path_.string() + "'").c_str());
    }
    [[nodiscard]] bool mounted() const { return mounted_; }

  private:
    fs::path path_;
    bool mounted_ = false;
};

}  // namespace

TEST_F(JournalTest, OnAFullDiskNothingUnjournaledIsAcknowledgedAndAppendsResumeWhenSpaceReturns) {
    SmallTmpfs tmpfs(dir_ / "tmpfs", "256k");
    if (!tmpfs.mounted())
        GTEST_SKIP() << "cannot mount a tmpfs (needs root)";
    const fs::path jdir = dir_ / "tmpfs" / "j";
    fs::create_directories(jdir);
    // Something else on the same disk that can be deleted later to free space.
    const fs::path filler = dir_ / "tmpfs" / "filler";
    { std::ofstream(filler) << std::string(96 * 1024, 'x'); }
    WriterOptions o;
    o.segment_bytes = 64 * 1024;
    std::unique_ptr<StreamWriter> w;
    ASSERT_TRUE(StreamWriter::open(jdir, "input", o, w).ok());
    Status s;
    std::uint64_t i = 0;
    while (s.ok() && i < 100'000)
        s = append_event(*w, ++i);
    ASSERT_EQ(s.code, Errc::no_space) << s.what();
    EXPECT_NE(s.what().find("No space left"), std::string_view::npos) << s.what();
    const std::uint64_t acked = w->durable_records();
    EXPECT_EQ(acked, i - 1);  // the failed append was not acknowledged
    EXPECT_EQ(w->appended_records(), i - 1);
    // Everything acknowledged is in the journal, and nothing else, cleanly.
    StreamScan scan;
    ASSERT_TRUE(scan_stream(jdir, "input", scan, {}).ok());
    EXPECT_FALSE(scan.issue);
    EXPECT_EQ(scan.records, acked);
    // A no_space failure is not fail-stop: once space is freed the same record goes in.
    fs::remove(filler);
    ASSERT_TRUE(append_event(*w, i).ok());
    ASSERT_TRUE(w->close().ok());
    ASSERT_TRUE(scan_stream(jdir, "input", scan, {}).ok());
    EXPECT_FALSE(scan.issue);
    EXPECT_EQ(scan.records, acked + 1);
}

TEST_F(JournalTest, AcknowledgedRecordsSurviveSigkillAtRandomMoments) {
    std::mt19937 rng(20261121);
    // 60 kills in the suite; scripts/crash-test.sh runs many more through KEEL_CRASH_ITERATIONS.
    const char* env = std::getenv("KEEL_CRASH_ITERATIONS");
    const int iterations = env != nullptr ? std::atoi(env) : 60;
    ASSERT_GE(iterations, 1);
    for (int iter = 0; iter < iterations; ++iter) {
        const fs::path d = dir_ / ("crash" + std::to_string(iter));
        fs::create_directories(d);
        int fds[2];
        ASSERT_EQ(::pipe(fds), 0);
        const bool sync_mode = iter % 2 == 0;
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            // Child: append through the real writer and report each new durable sequence.
            ::close(fds[0]);
            WriterOptions o;
            o.segment_bytes = 16 * 1024;  // rolls every ~170 records
            o.durability = sync_mode ? Durability::sync : Durability::group;
            o.group_records = 8;
            std::unique_ptr<StreamWriter> w;
            if (!StreamWriter::open(d, "input", o, w).ok())
                ::_exit(3);
            std::uint64_t reported = 0;
            for (std::uint64_t i = 1;; ++i) {
                if (!append_event(*w, i).ok())
                    ::_exit(4);
                const std::uint64_t durable = w->durable_seq();
                if (durable > reported) {
                    reported = durable;
                    if (::write(fds[1], &reported, sizeof reported) != sizeof reported)
                        ::_exit(5);
                }
            }
        }
        ::close(fds[1]);
        // Kill after a random number of acknowledgements: a random moment of the child's work.
        const int kill_after = static_cast<int>(rng() % 400) + 1;
        std::uint64_t acked = 0, v = 0;
        int got = 0;
        while (got < kill_after && ::read(fds[0], &v, sizeof v) == sizeof v) {
            acked = v;
            ++got;
        }
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        while (::read(fds[0], &v, sizeof v) == sizeof v)
            acked = v;  // acks already in flight
        ::close(fds[0]);
        ASSERT_TRUE(WIFSIGNALED(status)) << "child exited on its own with " << WEXITSTATUS(status);
        ASSERT_EQ(got, kill_after) << "child stopped acknowledging early";

        StreamScan scan;
        ASSERT_TRUE(scan_stream(d, "input", scan, {}).ok());
        ASSERT_TRUE(!scan.issue || scan.issue->torn)
            << "iteration " << iter << ": " << scan.issue->what << " at " << scan.issue->offset;
        ASSERT_TRUE(recover_stream(d, "input", scan).ok());
        EXPECT_GE(scan.last_seq, acked) << "iteration " << iter << " lost acknowledged records";
        EXPECT_EQ(scan.records, scan.last_seq);  // 1..last, consecutive (checked by the scan)
    }
}

// Restart recovery appends to the streams a killed session left: the last segment still
// preallocated (zeros after its data) and the next one prepared ahead, never used.
TEST_F(JournalTest, AWriterContinuesAStreamLeftByAKilledWriter) {
    WriterOptions o;
    o.segment_bytes = 4096;
    const fs::path killed = dir_ / "killed";
    {
        auto w = open_writer(o);
        for (std::uint64_t i = 1; i <= 100; ++i)
            ASSERT_TRUE(append_event(*w, i).ok());
        // What a SIGKILL leaves is what is in the page cache now: copy it while still open.
        fs::create_directories(killed);
        for (const auto& f : fs::directory_iterator(dir_)) {
            if (f.is_regular_file())
                fs::copy_file(f.path(), killed / f.path().filename());
        }
        ASSERT_TRUE(w->close().ok());
    }
    StreamScan before;
    ASSERT_TRUE(recover_stream(killed, "input", before).ok());
    ASSERT_FALSE(before.issue);
    ASSERT_EQ(before.records, 100u);
    {
        std::unique_ptr<StreamWriter> w;
        ASSERT_TRUE(StreamWriter::open(killed, "input", o, w).ok());
        EXPECT_EQ(w->appended_records(), 100u);
        for (std::uint64_t i = 101; i <= 250; ++i)
            ASSERT_TRUE(append_event(*w, i).ok());
        ASSERT_TRUE(w->close().ok());
    }
    StreamScan scan;
    const auto events = read_events(killed, scan);
    ASSERT_FALSE(scan.issue) << scan.issue->what;
    ASSERT_EQ(events.size(), 250u);
    for (std::uint64_t i = 1; i <= 250; ++i) {
        const engine::Event want = event(i);
        ASSERT_EQ(std::memcmp(&events[i - 1], &want, sizeof want), 0) << i;
    }
    // The cursor (what replay and restart read with) sees the same 250, in order.
    StreamCursor c(killed, "input");
    RecordView r;
    std::uint64_t n = 0;
    while (c.next(r) == StreamCursor::Next::record)
        ASSERT_EQ(r.header->seq, ++n);
    EXPECT_EQ(n, 250u);
    EXPECT_FALSE(c.issue());
}

TEST_F(JournalTest, ACursorSeeksBySequenceThroughTheSparseIndex) {
    WriterOptions o;
    o.segment_bytes = 4096;
    auto w = open_writer(o);
    for (std::uint64_t i = 1; i <= 1000; ++i)
        ASSERT_TRUE(append_event(*w, i).ok());
    ASSERT_TRUE(w->close().ok());
    StreamCursor cursor(dir_, "input");
    for (const std::uint64_t from : {1ull, 2ull, 41ull, 42ull, 43ull, 500ull, 999ull, 1000ull}) {
        ASSERT_TRUE(cursor.seek(from).ok());
        RecordView r{};
        std::uint64_t expect = from;
        std::size_t n = 0;
        while (cursor.next(r) == StreamCursor::Next::record) {
            ASSERT_EQ(r.header->seq, expect++);
            engine::Event e;
            std::memcpy(&e, r.payload, sizeof e);
            const engine::Event want = event(r.header->seq);
            ASSERT_EQ(std::memcmp(&e, &want, sizeof e), 0);
            ++n;
        }
        EXPECT_EQ(n, 1001 - from) << from;
        EXPECT_FALSE(cursor.issue());
    }
    ASSERT_TRUE(cursor.seek(5000).ok());
    RecordView r{};
    EXPECT_EQ(cursor.next(r), StreamCursor::Next::end);
}

TEST_F(JournalTest, AReaderMergesStreamsBySequenceThenPipelineOrder) {
    auto in = open_writer({}, "input");
    auto gw = open_writer({}, "gateway");
    auto st = open_writer({}, "strategy");
    for (std::uint64_t i = 1; i <= 30; ++i) {
        ASSERT_TRUE(append_event(*in, i).ok());
        if (i % 3 == 0) {
            ASSERT_TRUE(append_event(*st, i).ok());
            ASSERT_TRUE(append_event(*gw, i).ok());
            ASSERT_TRUE(append_event(*gw, i).ok());
        }
    }
    for (auto* w : {in.get(), gw.get(), st.get()})
        ASSERT_TRUE(w->close().ok());
    JournalReader reader;
    ASSERT_TRUE(reader.open(dir_, {}).ok());
    std::vector<std::pair<std::uint64_t, std::string>> got;
    RecordView r{};
    std::string stream;
    while (reader.next(r, stream) == StreamCursor::Next::record)
        got.emplace_back(r.header->seq, stream);
    ASSERT_EQ(got.size(), 30u + 10u + 20u);
    EXPECT_EQ(got[2], std::make_pair(std::uint64_t{3}, std::string("input")));
    EXPECT_EQ(got[3], std::make_pair(std::uint64_t{3}, std::string("strategy")));
    EXPECT_EQ(got[4], std::make_pair(std::uint64_t{3}, std::string("gateway")));
    EXPECT_EQ(got[5], std::make_pair(std::uint64_t{3}, std::string("gateway")));
    EXPECT_EQ(got[6], std::make_pair(std::uint64_t{4}, std::string("input")));
}

TEST_F(JournalTest, ACursorFollowsAStreamWhileItIsWrittenAcrossRolls) {
    WriterOptions o;
    o.segment_bytes = 4096;
    auto w = open_writer(o);
    StreamCursor cursor(dir_, "input");
    ASSERT_TRUE(cursor.seek(0).ok());
    RecordView r{};
    std::uint64_t seen = 0, written = 0;
    for (int round = 0; round < 20; ++round) {
        for (int k = 0; k < 17; ++k)
            ASSERT_TRUE(append_event(*w, ++written).ok());
        while (cursor.next(r) == StreamCursor::Next::record)
            ASSERT_EQ(r.header->seq, ++seen);
        ASSERT_FALSE(cursor.issue());
        ASSERT_EQ(seen, written) << "round " << round;  // caught up; end means "nothing yet"
    }
    EXPECT_GT(w->segment_index(), 5u);
    // A record half-written in the live segment (header without its payload's CRC matching)
    // is "not yet", not corruption.
    ASSERT_TRUE(w->close().ok());
    EXPECT_EQ(cursor.next(r), StreamCursor::Next::end);
}

namespace {
int failing_datasync_eio(int) {
    errno = EIO;
    return -1;
}
int failing_datasync_erofs(int) {
    errno = EROFS;
    return -1;
}
}  // namespace

TEST_F(JournalTest, AFailedSyncIsFailStopAndNeverRetried) {
    for (auto [fn, code] : {std::pair{&failing_datasync_eio, Errc::io_error},
                            std::pair{&failing_datasync_erofs, Errc::read_only}}) {
        const std::string stream = code == Errc::io_error ? "eio" : "erofs";
        WriterOptions o;
        o.durability = Durability::sync;
        o.datasync = fn;
        auto w = open_writer(o, stream);
        const Status first = append_event(*w, 1);
        EXPECT_EQ(first.code, code) << first.what();
        EXPECT_EQ(w->durable_records(), 0u);  // never acknowledged
        // Every later call refuses with the same error; nothing is retried.
        EXPECT_EQ(append_event(*w, 2).code, code);
        EXPECT_EQ(w->sync().code, code);
        EXPECT_EQ(w->close().code, code);
        EXPECT_EQ(w->appended_records(), 1u);  // the second append never reached the file
    }
}

// A writer with the manifest's keeper seals each segment in the manifest as it rolls past it,
// so a journal left by a crash (no close) has its rolled segments sealed: a change to one, even
// with a valid CRC, is corruption, while the last segment stays unsealed (a torn tail there is
// still a torn tail).
TEST_F(JournalTest, RolledSegmentsAreSealedInTheManifestBeforeAnyClose) {
    ManifestKeeper keeper;
    WriterOptions o;
    o.segment_bytes = 4096;
    o.on_sealed = &keeper;
    auto w = open_writer(o);
    // Written once the stream's first segment exists, as a session does (open_manifest).
    Manifest m;
    m.session = "test";
    m.streams = {"input"};
    ASSERT_TRUE(keeper.start(dir_, m).ok());
    for (std::uint64_t i = 1; i <= 200; ++i)
        ASSERT_TRUE(append_event(*w, i).ok());
    const std::uint64_t rolled = w->segment_index();
    ASSERT_GT(rolled, 2u);
    // The helper seals asynchronously; wait for the observable manifest (a deadline, not a
    // sleep as synchronisation).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        const Manifest now = keeper.manifest();
        const auto* seals = now.seals_of("input");
        if (seals != nullptr && seals->size() + 1 >= rolled)
            break;
        std::this_thread::yield();
    }
    std::optional<Manifest> read;
    ASSERT_TRUE(read_manifest(dir_, read).ok());
    ASSERT_TRUE(read);
    EXPECT_FALSE(read->closed);
    ASSERT_NE(read->seals_of("input"), nullptr);
    EXPECT_GE(read->seals_of("input")->size() + 1, rolled);
    EXPECT_FALSE(keeper.failure()) << *keeper.failure();
    StreamScan scan;
    ASSERT_TRUE(scan_stream(dir_, "input", scan, {}).ok());
    EXPECT_FALSE(scan.issue) << scan.issue->what;
    // Change a record of sealed segment 0 and fix its CRC: scans clean, but not its seal.
    const fs::path seg0 = dir_ / segment_file_name("input", 0);
    std::string bytes;
    {
        std::ifstream in(seg0, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    RecordHeader h;
    std::memcpy(&h, bytes.data() + sizeof(SegmentHeader), sizeof h);
    bytes[sizeof(SegmentHeader) + sizeof h + 30] ^= 1;
    h.crc = record_crc(reinterpret_cast<const unsigned char*>(bytes.data()) + sizeof(SegmentHeader),
                       h.length);
    std::memcpy(bytes.data() + sizeof(SegmentHeader), &h, sizeof h);
    {
        std::ofstream out(seg0, std::ios::binary | std::ios::trunc);
        out << bytes;
    }
    ASSERT_TRUE(scan_stream(dir_, "input", scan, {}).ok());
    ASSERT_TRUE(scan.issue);
    EXPECT_FALSE(scan.issue->torn);
    EXPECT_NE(scan.issue->what.find("CRCs differ from its seal"), std::string::npos)
        << scan.issue->what;
    w.reset();
}
