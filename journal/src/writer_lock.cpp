#include "keel/journal/writer_lock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <utility>

namespace keel::journal {

namespace {

// The whole file, exclusive: open-file-description locks (not process-wide POSIX locks,
// which any close() of the same file in the process would drop).
struct flock whole_file(short type) {
    struct flock fl {};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 0;
    return fl;
}

long read_pid(int fd) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    long pid = 0;
    if (n > 0)
        (void)std::from_chars(buf, buf + n, pid);
    return pid;
}

}  // namespace

WriterLock::WriterLock(WriterLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

WriterLock& WriterLock::operator=(WriterLock&& other) noexcept {
    if (this != &other) {
        release();
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
    }
    return *this;
}

WriterLock::~WriterLock() {
    release();
}

void WriterLock::release() noexcept {
    if (fd_ < 0)
        return;
    // Removed while still locked, then released: whoever opened this file meanwhile finds,
    // once it has the lock, that the path no longer names it, and starts over.
    (void)::unlink(path_.c_str());
    ::close(fd_);
    fd_ = -1;
}

Status WriterLock::acquire(const std::filesystem::path& dir, WriterLock& out) {
    const std::filesystem::path path = dir / kWriterLockFile;
    for (;;) {
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return Status::from_errno(errno, "open", path.c_str());
        struct flock fl = whole_file(F_WRLCK);
        if (::fcntl(fd, F_OFD_SETLK, &fl) != 0) {
            const int err = errno;
            if (err == EAGAIN || err == EACCES) {
                const long pid = read_pid(fd);
                ::close(fd);
                return Status::error(Errc::busy,
                                     "journal %s is being written by another process (pid %ld); "
                                     "one writer per journal",
                                     dir.c_str(), pid);
            }
            ::close(fd);
            return Status::from_errno(err, "lock", path.c_str());
        }
        // Locked; but if its holder removed the file between our open and lock, we hold a
        // file nobody else will open: start over with the one the path names now.
        struct stat held {};
        struct stat named {};
        if (::fstat(fd, &held) != 0 || ::stat(path.c_str(), &named) != 0 ||
            held.st_ino != named.st_ino || held.st_dev != named.st_dev) {
            ::close(fd);
            continue;
        }
        // Ours: name this process for anyone refused, or asking, while we hold it.
        char buf[24];
        const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<long>(::getpid()));
        (void)ec;
        if (::ftruncate(fd, 0) != 0 ||
            ::pwrite(fd, buf, static_cast<std::size_t>(end - buf), 0) != end - buf) {
            const int err = errno;
            ::close(fd);
            return Status::from_errno(err, "write", path.c_str());
        }
        out = WriterLock();
        out.fd_ = fd;
        out.path_ = path;
        return Status();
    }
}

bool fresh_journal_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        if (entry.path().filename() != kWriterLockFile)
            return false;
    }
    return true;
}

std::optional<long> WriterLock::writer_pid(const std::filesystem::path& dir) {
    const std::filesystem::path path = dir / kWriterLockFile;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;  // never written by a keel that locks
    struct flock fl = whole_file(F_WRLCK);
    std::optional<long> pid;
    if (::fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
        pid = read_pid(fd);
    ::close(fd);
    return pid;
}

}  // namespace keel::journal
