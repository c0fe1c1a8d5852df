// Proves the journal writer's helper thread (which prepares segments ahead and seals finished
// ones) hands segments over correctly: many rolls under ThreadSanitizer, in every durability
// mode, with a reader following along, lose and reorder nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "keel/journal/cursor.hpp"
#include "keel/journal/reader.hpp"
#include "keel/journal/writer.hpp"

using namespace keel::journal;
namespace fs = std::filesystem;

TEST(JournalWriterThreads, ManyRollsThroughTheHelperLoseNothing) {
    for (const Durability mode : {Durability::os, Durability::group, Durability::sync}) {
        const fs::path dir =
            fs::temp_directory_path() / ("keel_writer_threads_" + std::to_string(::getpid()) + "_" +
                                         std::string(to_string(mode)));
        fs::remove_all(dir);
        fs::create_directories(dir);
        WriterOptions o;
        o.segment_bytes = 8 * 1024;  // ~80 records per segment: a roll every few dozen appends
        o.durability = mode;
        o.group_records = 16;
        std::unique_ptr<StreamWriter> w;
        ASSERT_TRUE(StreamWriter::open(dir, "input", o, w).ok());
        StreamCursor follower(dir, "input");
        ASSERT_TRUE(follower.seek(0).ok());
        const std::uint64_t n = mode == Durability::sync ? 2'000 : 20'000;
        std::uint64_t followed = 0;
        RecordView r{};
        for (std::uint64_t i = 1; i <= n; ++i) {
            const std::uint64_t payload = i * 7;
            ASSERT_TRUE(
                w->append(1, i, static_cast<std::int64_t>(i), &payload, sizeof payload).ok())
                << i;
            if (i % 97 == 0) {
                while (follower.next(r) == StreamCursor::Next::record) {
                    ASSERT_EQ(r.header->seq, ++followed);
                }
            }
        }
        EXPECT_GE(w->segment_index(), n / 250);  // ~200 40-byte records per segment
        ASSERT_TRUE(w->close().ok());
        while (follower.next(r) == StreamCursor::Next::record)
            ASSERT_EQ(r.header->seq, ++followed);
        EXPECT_EQ(followed, n);
        StreamScan scan;
        ASSERT_TRUE(scan_stream(dir, "input", scan, {}).ok());
        EXPECT_FALSE(scan.issue);
        EXPECT_TRUE(scan.unused_segments.empty());  // the unused prepared one was removed
        EXPECT_EQ(scan.records, n);
        fs::remove_all(dir);
    }
}
