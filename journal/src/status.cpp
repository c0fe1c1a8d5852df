#include "keel/journal/status.hpp"

#include <cerrno>
#include <cstdarg>
#include <cstdio>

namespace keel::journal {

std::string_view to_string(Errc e) noexcept {
    switch (e) {
        case Errc::ok:
            return "ok";
        case Errc::not_found:
            return "not found";
        case Errc::already_exists:
            return "already exists";
        case Errc::invalid_argument:
            return "invalid argument";
        case Errc::no_space:
            return "no space left";
        case Errc::io_error:
            return "I/O error";
        case Errc::read_only:
            return "read-only file system";
        case Errc::corrupt:
            return "corrupt";
        case Errc::newer_version:
            return "newer format version";
        case Errc::busy:
            return "busy";
    }
    return "unknown";
}

Status Status::error(Errc code, const char* fmt, ...) noexcept {
    Status s;
    s.code = code;
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(s.message, sizeof s.message, fmt, args);
    va_end(args);
    return s;
}

Status Status::from_errno(int err, const char* op, const char* path) noexcept {
    Errc code = Errc::io_error;
    if (err == ENOSPC || err == EDQUOT)
        code = Errc::no_space;
    else if (err == EROFS)
        code = Errc::read_only;
    else if (err == ENOENT)
        code = Errc::not_found;
    else if (err == EEXIST)
        code = Errc::already_exists;
    char buf[96];
    // GNU strerror_r returns the message pointer (maybe not buf).
    const char* text = strerror_r(err, buf, sizeof buf);
    return error(code, "%s %s: %s", op, path, text);
}

}  // namespace keel::journal
