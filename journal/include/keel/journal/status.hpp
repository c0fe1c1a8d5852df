// Status: the journal's value-plus-error result. Trivially copyable with a fixed message buffer,
// so that returning an error from a hot thread allocates nothing.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace keel::journal {

enum class Errc : std::uint8_t {
    ok = 0,
    not_found,
    already_exists,
    invalid_argument,
    no_space,       // ENOSPC / EDQUOT: nothing half-written is acknowledged
    io_error,       // EIO and other I/O failures: fail-stop, never retried
    read_only,      // EROFS
    corrupt,        // a bad record where only good ones may be
    newer_version,  // written by a newer keel: refused, never misread
    busy,           // another process is writing the journal
};

[[nodiscard]] std::string_view to_string(Errc e) noexcept;

struct Status {
    // Only the first byte of the message is set when there is none, so that returning ok
    // costs two stores, not a 200-byte clear.
    Status() noexcept { message[0] = '\0'; }

    Errc code = Errc::ok;
    char message[200];

    [[nodiscard]] bool ok() const noexcept { return code == Errc::ok; }
    [[nodiscard]] std::string_view what() const noexcept { return message; }

    // printf-style message; truncated to fit.
    [[nodiscard]] static Status error(Errc code, const char* fmt, ...) noexcept
        __attribute__((format(printf, 2, 3)));
    // Maps an errno value from a failed call to a code, with "<op> <path>: strerror".
    [[nodiscard]] static Status from_errno(int err, const char* op, const char* path) noexcept;
};

}  // namespace keel::journal
