// journal_bench: the journal's append, durable-append and scan paths against their floors and
// peers, measured in one run, with the ratios the journal is held to.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "bench_support.hpp"
#include "keel/engine/core/event.hpp"
#include "keel/journal/crc32c.hpp"
#include "keel/journal/format.hpp"
#include "keel/journal/reader.hpp"
#include "keel/journal/writer.hpp"

namespace {

namespace fs = std::filesystem;
using keel::bench::CollectingReporter;
using keel::bench::Goal;
using keel::bench::kNotGated;
using keel::bench::rate_ratio;
using keel::bench::RatioRow;
using keel::bench::time_ratio;
using keel::engine::Event;

// A fresh directory per benchmark run under $TMPDIR, removed when the run ends.
//
// Each run starts with nothing dirty in the page cache (sync, before the timed loop): pages
// that other processes, or the previous run, left dirty put the writes of whichever run comes
// next into the kernel's writeback throttling, which sleeps the writing thread. Measured: 2.4
// GB left dirty by a dd moved `keel os / record floor` from 0.60-0.65 to 1.35, and a CI run
// right after the sanitizer suites (GBs of builds and journals) measured 2.14, the appender
// on its CPU for a quarter of the wall time.
class ScratchDir {
  public:
    explicit ScratchDir(const char* name) {
        path_ =
            fs::temp_directory_path() / ("keel_journal_bench_" + std::to_string(::getpid())) / name;
        fs::remove_all(path_);
        fs::create_directories(path_);
        ::sync();
    }
    ~ScratchDir() { fs::remove_all(path_); }
    [[nodiscard]] const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

Event bench_event() {
    Event e = keel::engine::make_event(keel::engine::EventType::trade, keel::engine::Source::feed,
                                       0, 1'700'000'000'000'000'000, 0);
    e.payload.trade.price = keel::engine::Price::from_units(187);
    e.payload.trade.size = keel::engine::Quantity::from_units(100);
    return e;
}

constexpr std::uint64_t kSegmentBytes = 64ull << 20;
constexpr benchmark::IterationCount kAppends = 4'000'000;

// Appends one 64-byte event per iteration through a StreamWriter with these options.
void run_keel_appends(benchmark::State& state, const char* dir_name,
                      const keel::journal::WriterOptions& o) {
    ScratchDir dir(dir_name);
    std::unique_ptr<keel::journal::StreamWriter> w;
    if (!keel::journal::StreamWriter::open(dir.path(), "input", o, w).ok()) {
        state.SkipWithError("cannot open the journal");
        return;
    }
    Event e = bench_event();
    std::uint64_t seq = 0;
    for (auto _ : state) {
        e.header.seq = ++seq;
        if (!w->append(3, seq, e.header.ts_ns, &e, sizeof e).ok()) {
            state.SkipWithError("append failed");
            break;
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(seq));
    (void)w->close();
}

void bm_append_keel_os(benchmark::State& state) {
    keel::journal::WriterOptions o;
    o.segment_bytes = kSegmentBytes;
    run_keel_appends(state, "append_os", o);
}

// The floor: a 64-byte memcpy into a file mapping whose pages are all already faulted in.
void bm_append_mmap_floor(benchmark::State& state) {
    ScratchDir dir("floor");
    const int fd = ::open((dir.path() / "floor").c_str(), O_RDWR | O_CREAT, 0644);
    if (fd < 0 || ::posix_fallocate(fd, 0, kSegmentBytes) != 0) {
        state.SkipWithError("cannot create the floor file");
        return;
    }
    auto* base = static_cast<unsigned char*>(
        ::mmap(nullptr, kSegmentBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0));
    if (base == MAP_FAILED) {
        ::close(fd);
        state.SkipWithError("cannot map the floor file");
        return;
    }
    std::memset(base, 0, kSegmentBytes);  // every page faulted in and dirty
    const Event e = bench_event();
    std::uint64_t offset = 0;
    std::int64_t n = 0;
    for (auto _ : state) {
        std::memcpy(base + offset, &e, sizeof e);
        benchmark::ClobberMemory();
        offset += sizeof e;
        if (offset + sizeof e > kSegmentBytes)
            offset = 0;  // stay inside the faulted region
        ++n;
    }
    state.SetItemsProcessed(n);
    ::munmap(base, kSegmentBytes);
    ::close(fd);
}

// The work floor: what any checksummed append must do, by hand and inline: a 32-byte record
// header and the 64-byte event written into a preallocated file mapping whose pages are NOT
// faulted in beforehand (a journal writes fresh pages: each 4 KiB page costs a fault), and the
// CRC32C of the record. No sequence checks, no durability bookkeeping; a new 64 MiB file when
// one is full, untimed. keel's append is held to a small multiple of this.
void bm_append_record_floor(benchmark::State& state) {
    ScratchDir dir("record_floor");
    int files = 0;
    int fd = -1;
    unsigned char* base = nullptr;
    // A new file for each 64 MiB, the old one kept with its dirty pages, as a journal's segment
    // roll leaves them: truncating one file instead dropped its dirty pages before writeback, so
    // the floor never met the kernel's dirty-page throttling that keel's append meets (one of
    // the three reasons keel os / record floor measured 1.22-1.57 with vm.dirty_bytes at 500 MB:
    // bench/README.md, *Writeback pressure*).
    const auto release = [&] {
        if (base != nullptr)
            ::munmap(base, kSegmentBytes);
        if (fd >= 0)
            ::close(fd);
        base = nullptr;
        fd = -1;
    };
    const auto next_file = [&]() -> bool {
        release();
        fd = ::open((dir.path() / ("floor." + std::to_string(files++))).c_str(),
                    O_RDWR | O_CREAT, 0644);
        if (fd < 0 || ::posix_fallocate(fd, 0, kSegmentBytes) != 0)
            return false;
        void* m = ::mmap(nullptr, kSegmentBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED)
            return false;
        base = static_cast<unsigned char*>(m);
        return true;
    };
    if (!next_file()) {
        release();
        state.SkipWithError("cannot create and map the floor file");
        return;
    }
    Event e = bench_event();
    constexpr std::size_t kRecord = sizeof(keel::journal::RecordHeader) + sizeof(Event);
    std::uint64_t offset = 0;
    std::uint64_t seq = 0;
    for (auto _ : state) {
        if (offset + kRecord > kSegmentBytes) {
            // Out of fresh pages: a new file (untimed), as a roll would.
            state.PauseTiming();
            const bool ok = next_file();
            offset = 0;
            state.ResumeTiming();
            if (!ok) {
                state.SkipWithError("cannot create and map the next floor file");
                break;
            }
        }
        e.header.seq = ++seq;
        keel::journal::RecordHeader h{};
        h.length = sizeof e;
        h.type = 3;
        h.seq = seq;
        h.ts_ns = e.header.ts_ns;
        unsigned char* at = base + offset;
        std::memcpy(at + sizeof h, &e, sizeof e);
        std::memcpy(at, &h, sizeof h);
        const std::uint32_t crc = keel::journal::crc32c(at + 4, kRecord - 4);
        std::memcpy(at, &crc, sizeof crc);
        benchmark::ClobberMemory();
        offset += kRecord;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(seq));
    release();
}

void bm_append_write_per_event(benchmark::State& state) {
    ScratchDir dir("write");
    const int fd = ::open((dir.path() / "events").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0) {
        state.SkipWithError("cannot open");
        return;
    }
    const Event e = bench_event();
    std::int64_t n = 0;
    for (auto _ : state) {
        if (::write(fd, &e, sizeof e) != static_cast<ssize_t>(sizeof e)) {
            state.SkipWithError("write failed");
            break;
        }
        ++n;
    }
    state.SetItemsProcessed(n);
    ::close(fd);
}

// What a user might otherwise pick: SQLite in WAL mode with synchronous=OFF, one autocommit
// insert of the event per append.
void bm_append_sqlite_wal(benchmark::State& state) {
    ScratchDir dir("sqlite");
    sqlite3* db = nullptr;
    sqlite3_stmt* insert = nullptr;
    const bool ok =
        sqlite3_open((dir.path() / "events.db").c_str(), &db) == SQLITE_OK &&
        sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
                     "CREATE TABLE events(seq INTEGER, ts INTEGER, type INTEGER, body BLOB);",
                     nullptr, nullptr, nullptr) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "INSERT INTO events VALUES(?, ?, ?, ?)", -1, &insert, nullptr) ==
            SQLITE_OK;
    if (!ok) {
        state.SkipWithError("cannot set up SQLite");
        sqlite3_close(db);
        return;
    }
    const Event e = bench_event();
    std::int64_t seq = 0;
    for (auto _ : state) {
        sqlite3_bind_int64(insert, 1, ++seq);
        sqlite3_bind_int64(insert, 2, e.header.ts_ns);
        sqlite3_bind_int(insert, 3, 3);
        sqlite3_bind_blob(insert, 4, &e, sizeof e, SQLITE_STATIC);
        if (sqlite3_step(insert) != SQLITE_DONE) {
            state.SkipWithError("insert failed");
            break;
        }
        sqlite3_reset(insert);
    }
    state.SetItemsProcessed(seq);
    sqlite3_finalize(insert);
    sqlite3_close(db);
}

constexpr std::uint64_t kGroup = 64;

void bm_durable_keel_group(benchmark::State& state) {
    keel::journal::WriterOptions o;
    o.segment_bytes = kSegmentBytes;
    o.durability = keel::journal::Durability::group;
    o.group_records = kGroup;
    o.group_interval_us = 10'000'000;  // only the record count triggers a sync here
    run_keel_appends(state, "group", o);
}

// The peer for group commit: write() each record (the journal's 96-byte record size) and
// fdatasync every kGroup records.
void bm_durable_raw_write_fdatasync(benchmark::State& state) {
    ScratchDir dir("raw_sync");
    const int fd = ::open((dir.path() / "events").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0) {
        state.SkipWithError("cannot open");
        return;
    }
    unsigned char record[keel::journal::record_size(sizeof(Event))] = {};
    const Event e = bench_event();
    std::memcpy(record + sizeof(keel::journal::RecordHeader), &e, sizeof e);
    std::uint64_t n = 0;
    for (auto _ : state) {
        if (::write(fd, record, sizeof record) != static_cast<ssize_t>(sizeof record)) {
            state.SkipWithError("write failed");
            break;
        }
        if (++n % kGroup == 0 && ::fdatasync(fd) != 0) {
            state.SkipWithError("fdatasync failed");
            break;
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(n));
    ::close(fd);
}

// Sequential scan (what recovery and verify do) of a 1M-record stream written once.
void bm_scan(benchmark::State& state) {
    static ScratchDir dir("scan");
    static const std::uint64_t written = [] {
        keel::journal::WriterOptions o;
        o.segment_bytes = kSegmentBytes;
        std::unique_ptr<keel::journal::StreamWriter> w;
        if (!keel::journal::StreamWriter::open(dir.path(), "input", o, w).ok())
            return 0ull;
        Event e = bench_event();
        std::uint64_t seq = 0;
        for (; seq < 1'000'000; ++seq) {
            e.header.seq = seq + 1;
            if (!w->append(3, seq + 1, e.header.ts_ns, &e, sizeof e).ok())
                break;
        }
        return w->close().ok() ? seq : 0ull;
    }();
    if (written == 0) {
        state.SkipWithError("cannot write the stream to scan");
        return;
    }
    std::uint64_t records = 0;
    for (auto _ : state) {
        keel::journal::StreamScan scan;
        if (!keel::journal::scan_stream(dir.path(), "input", scan, {}).ok() || scan.issue) {
            state.SkipWithError("scan failed");
            break;
        }
        records += scan.records;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(records));
    state.SetBytesProcessed(
        static_cast<std::int64_t>(records * keel::journal::record_size(sizeof(Event))));
}

constexpr const char* kKeelOs = "append/keel_os";
constexpr const char* kFloor = "append/mmap_memcpy_floor";
constexpr const char* kRecordFloor = "append/record_crc_fresh_page_floor";
constexpr const char* kWrite = "append/write_per_event";
constexpr const char* kSqlite = "append/sqlite_wal_unsynced";
constexpr const char* kGroupKeel = "durable/keel_group_64";
constexpr const char* kGroupRaw = "durable/raw_write_fdatasync_64";
constexpr const char* kScan = "read/scan_1m_records";

}  // namespace

// Exit status: 0 ran (targets missed or not), 1 a benchmark failed, 2 bad command line.
int main(int argc, char** argv) {
    const bool console = keel::bench::stdout_is_console(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    // keel's append and its record floor write the same bytes per repetition (4M records,
    // 384 MB, six 64 MiB files each): how long the kernel lets a writer dirty pages before it
    // throttles it depends on the bytes dirtied, so timing each to a minimum time gave the
    // faster side more bytes and more of the throttling.
    benchmark::RegisterBenchmark(kKeelOs, bm_append_keel_os)->UseRealTime()->Iterations(kAppends);
    benchmark::RegisterBenchmark(kFloor, bm_append_mmap_floor)->UseRealTime();
    benchmark::RegisterBenchmark(kRecordFloor, bm_append_record_floor)
        ->UseRealTime()
        ->Iterations(kAppends);
    benchmark::RegisterBenchmark(kWrite, bm_append_write_per_event)->UseRealTime();
    benchmark::RegisterBenchmark(kSqlite, bm_append_sqlite_wal)->UseRealTime();
    benchmark::RegisterBenchmark(kGroupKeel, bm_durable_keel_group)->UseRealTime();
    benchmark::RegisterBenchmark(kGroupRaw, bm_durable_raw_write_fdatasync)->UseRealTime();
    benchmark::RegisterBenchmark(kScan, bm_scan)->UseRealTime()->Unit(benchmark::kMillisecond);
    CollectingReporter reporter(benchmark::CreateDefaultDisplayReporter());
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    if (!reporter.empty()) {
        const std::vector<RatioRow> rows = {
            {"append: keel os / mmap floor", time_ratio(reporter, kKeelOs, kFloor), Goal::at_most,
             1.3, kNotGated},
            {"append: keel os / record floor", time_ratio(reporter, kKeelOs, kRecordFloor),
             Goal::at_most, 1.3, 2.0},
            {"append rate: keel os / sqlite", rate_ratio(reporter, kKeelOs, kSqlite),
             Goal::at_least, 250, 25},
            {"append rate: keel os / write()", rate_ratio(reporter, kKeelOs, kWrite), Goal::none, 0,
             kNotGated},
            {"durable rate: keel group / raw", rate_ratio(reporter, kGroupKeel, kGroupRaw),
             Goal::at_least, 0.9, kNotGated},
        };
        keel::bench::print_ratio_table(reporter, rows, console ? stdout : stderr,
                                       {"durable/", "write_per_event", "sqlite", "read/"});
    }
    fs::remove_all(fs::temp_directory_path() /
                   ("keel_journal_bench_" + std::to_string(::getpid())));
    return reporter.errors() > 0 ? 1 : 0;
}
