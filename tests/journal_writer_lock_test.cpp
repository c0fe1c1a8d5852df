// journal::WriterLock: one writer per journal directory, across threads' and processes'
// open files alike; released when its holder is destroyed or dies; readers ask without
// taking it.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "keel/journal/writer_lock.hpp"

namespace keel {
namespace {

namespace fs = std::filesystem;

class WriterLockTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("keel_writer_lock_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

TEST_F(WriterLockTest, ASecondWriterIsRefusedNamingTheHoldersPid) {
    journal::WriterLock first;
    ASSERT_TRUE(journal::WriterLock::acquire(dir_, first).ok());
    EXPECT_TRUE(first.held());
    journal::WriterLock second;
    const journal::Status st = journal::WriterLock::acquire(dir_, second);
    EXPECT_EQ(st.code, journal::Errc::busy);
    EXPECT_NE(std::string(st.what()).find("(pid " + std::to_string(::getpid()) + ")"),
              std::string::npos)
        << st.what();
    EXPECT_FALSE(second.held());
}

TEST_F(WriterLockTest, ReleasedWhenItsHolderIsDestroyedOrMovedFrom) {
    {
        journal::WriterLock a;
        ASSERT_TRUE(journal::WriterLock::acquire(dir_, a).ok());
        journal::WriterLock b = std::move(a);
        EXPECT_FALSE(a.held());  // NOLINT(bugprone-use-after-move): moved-from is empty
        EXPECT_TRUE(b.held());
        journal::WriterLock c;
        EXPECT_EQ(journal::WriterLock::acquire(dir_, c).code, journal::Errc::busy);
    }
    journal::WriterLock again;
    EXPECT_TRUE(journal::WriterLock::acquire(dir_, again).ok());
}

TEST_F(WriterLockTest, AReaderLearnsTheWritersPidWithoutTakingTheLock) {
    EXPECT_FALSE(journal::WriterLock::writer_pid(dir_));        // no lock file yet
    EXPECT_FALSE(fs::exists(dir_ / journal::kWriterLockFile));  // and asking made none
    {
        journal::WriterLock w;
        ASSERT_TRUE(journal::WriterLock::acquire(dir_, w).ok());
        EXPECT_EQ(journal::WriterLock::writer_pid(dir_), ::getpid());
    }
    EXPECT_FALSE(journal::WriterLock::writer_pid(dir_));
    // Released, the file is gone: a finished journal is only its segments.
    EXPECT_FALSE(fs::exists(dir_ / journal::kWriterLockFile));
    // Asking holds nothing: a writer right after gets the lock.
    journal::WriterLock w;
    EXPECT_TRUE(journal::WriterLock::acquire(dir_, w).ok());
}

TEST_F(WriterLockTest, AWriterProcessKilledMidSessionLeavesNoStaleLock) {
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        journal::WriterLock w;
        const bool ok = journal::WriterLock::acquire(dir_, w).ok();
        const char c = ok ? 'y' : 'n';
        (void)!::write(ready[1], &c, 1);
        if (!ok)
            ::_exit(1);
        for (;;)
            ::pause();  // holding the lock, until SIGKILL
    }
    ::close(ready[1]);
    // The child dies with this test, whatever it asserts.
    class Reaper {
      public:
        explicit Reaper(pid_t pid) : pid_(pid) {}
        Reaper(const Reaper&) = delete;
        Reaper& operator=(const Reaper&) = delete;
        ~Reaper() { reap(); }
        void reap() {
            if (pid_ > 0) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, nullptr, 0);
            }
            pid_ = -1;
        }

      private:
        pid_t pid_;
    } reaper(child);
    char ok = 0;
    ASSERT_EQ(::read(ready[0], &ok, 1), 1);
    ::close(ready[0]);
    ASSERT_EQ(ok, 'y');

    EXPECT_EQ(journal::WriterLock::writer_pid(dir_), child);
    journal::WriterLock mine;
    const journal::Status st = journal::WriterLock::acquire(dir_, mine);
    EXPECT_EQ(st.code, journal::Errc::busy);
    EXPECT_NE(std::string(st.what()).find("(pid " + std::to_string(child) + ")"), std::string::npos)
        << st.what();

    reaper.reap();  // SIGKILL: the writer dies without releasing anything itself
    EXPECT_TRUE(fs::exists(dir_ / journal::kWriterLockFile));  // its file stays, unlocked
    EXPECT_FALSE(journal::WriterLock::writer_pid(dir_));
    EXPECT_TRUE(journal::WriterLock::acquire(dir_, mine).ok());
    EXPECT_EQ(journal::WriterLock::writer_pid(dir_), ::getpid());
}

TEST_F(WriterLockTest, ADirectoryHoldingOnlyALockFileIsFreshForANewJournal) {
    EXPECT_TRUE(journal::fresh_journal_dir(dir_ / "missing"));
    EXPECT_TRUE(journal::fresh_journal_dir(dir_));
    {
        journal::WriterLock w;
        ASSERT_TRUE(journal::WriterLock::acquire(dir_, w).ok());
        EXPECT_TRUE(journal::fresh_journal_dir(dir_));  // the lock file alone
        std::ofstream(dir_ / "input.000000.seg") << "x";
        EXPECT_FALSE(journal::fresh_journal_dir(dir_));
    }
    EXPECT_FALSE(journal::fresh_journal_dir(dir_));
}

TEST_F(WriterLockTest, ADirectoryThatCannotHoldTheLockFileIsAnError) {
    journal::WriterLock w;
    const journal::Status st = journal::WriterLock::acquire(dir_ / "missing", w);
    EXPECT_FALSE(st.ok());
    EXPECT_NE(std::string(st.what()).find("writer.lock"), std::string::npos) << st.what();
    EXPECT_FALSE(w.held());
}

}  // namespace
}  // namespace keel
