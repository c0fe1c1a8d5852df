// One writer per journal directory. A process that writes a journal, or recovers one (which
// cuts torn tails), first takes WriterLock: an exclusive open-file-description lock on
// DIR/writer.lock, which holds the writer's pid. A second writer is refused with that pid
// instead of interleaving records or cutting the first one's record in progress. Released, the
// file is removed (a finished journal is only its segments, byte-identical between two equal
// runs); a writer that dies leaves the file, but the kernel has dropped its lock, so the next
// writer takes it over. Everything that lists a journal's streams ignores the file.
//
// Readers never take the lock: writer_pid() asks whether some writer holds it now, without
// taking it (so a reader can never make a writer's acquire fail). While one does, a record
// at the end of a stream that is not complete yet is being written, not torn.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "keel/journal/status.hpp"

namespace keel::journal {

inline constexpr std::string_view kWriterLockFile = "writer.lock";

// True when DIR does not exist or holds nothing but a writer lock file (a session that
// wrote nothing, or died before it did): somewhere a new journal may start.
[[nodiscard]] bool fresh_journal_dir(const std::filesystem::path& dir);

class WriterLock {
  public:
    WriterLock() = default;
    WriterLock(WriterLock&& other) noexcept;
    WriterLock& operator=(WriterLock&& other) noexcept;
    WriterLock(const WriterLock&) = delete;
    WriterLock& operator=(const WriterLock&) = delete;
    ~WriterLock();

    // Takes DIR's writer lock (DIR must exist); Errc::busy, naming the holder's pid, when
    // another writer has it, in this process or another. Destroying the lock removes the file
    // and releases it.
    [[nodiscard]] static Status acquire(const std::filesystem::path& dir, WriterLock& out);

    // The pid of the process holding DIR's writer lock now (0 when it did not write its pid),
    // or nothing when no writer holds it. Takes no lock.
    [[nodiscard]] static std::optional<long> writer_pid(const std::filesystem::path& dir);

    [[nodiscard]] bool held() const noexcept { return fd_ >= 0; }

  private:
    void release() noexcept;

    int fd_ = -1;
    std::filesystem::path path_;
};

}  // namespace keel::journal
