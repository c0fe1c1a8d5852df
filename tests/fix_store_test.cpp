// The FIX session stores in a journal's fix/ directory, as `keel journal verify` and `inspect`
// read them: sequence numbers from QuickFIX's FileStore files, a store that does not parse
// named with its file.
#include "keel/replay/reports/fix_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using keel::replay::read_fix_stores;

namespace {

class FixStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("keel_fix_store_" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "fix" / "0");
    }
    void TearDown() override { fs::remove_all(dir_); }
    void write(const std::string& name, const std::string& text) {
        std::ofstream(dir_ / "fix" / "0" / name) << text;
    }
    void store(const std::string& seqnums) {
        write("FIX.4.4-KEEL-VENUE.seqnums", seqnums);
        write("FIX.4.4-KEEL-VENUE.body", "8=FIX.4.4\x01" "35=D\x01");
        write("FIX.4.4-KEEL-VENUE.header", "3,0,10 ");
        write("FIX.4.4-KEEL-VENUE.session", "20261207-10:00:00");
    }
    fs::path dir_;
};

}  // namespace

TEST_F(FixStoreTest, ASessionsSequenceNumbersAreReadFromItsStore) {
    store("0000000012 : 0000000009");
    const auto stores = read_fix_stores(dir_);
    ASSERT_EQ(stores.size(), 1u);
    EXPECT_EQ(stores[0].account, "0");
    EXPECT_EQ(stores[0].session, "FIX.4.4-KEEL-VENUE");
    EXPECT_EQ(stores[0].next_sender_seq, 12u);
    EXPECT_EQ(stores[0].next_target_seq, 9u);
    EXPECT_EQ(stores[0].body_bytes, 15u);
    EXPECT_EQ(stores[0].error, "");
}

TEST_F(FixStoreTest, ACorruptSequenceFileIsNamedWithItsFile) {
    store("0000000012 ; garbage");
    const auto stores = read_fix_stores(dir_);
    ASSERT_EQ(stores.size(), 1u);
    EXPECT_NE(stores[0].error.find("FIX.4.4-KEEL-VENUE.seqnums"), std::string::npos)
        << stores[0].error;
    EXPECT_NE(stores[0].error.find("0000000012 ; garbage"), std::string::npos);
    store("0000000000 : 0000000009");  // sequence numbers start at 1
    EXPECT_NE(read_fix_stores(dir_)[0].error, "");
}

TEST_F(FixStoreTest, AnEmptySequenceFileIsASessionsFirstStartNotCorruption) {
    store("");  // QuickFIX creates it before it writes it, and reads it as 1 : 1
    const auto stores = read_fix_stores(dir_);
    ASSERT_EQ(stores.size(), 1u);
    EXPECT_EQ(stores[0].error, "");
    EXPECT_EQ(stores[0].next_sender_seq, 1u);
    EXPECT_EQ(stores[0].next_target_seq, 1u);
}

TEST_F(FixStoreTest, AJournalWithoutAFixDirectoryHasNoStores) {
    fs::remove_all(dir_ / "fix");
    EXPECT_TRUE(read_fix_stores(dir_).empty());
}
