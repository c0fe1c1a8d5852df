// KEEL_ASSERT: invariant checks that stay on in every build (TigerBeetle style). They are for
// programmer errors only; bad input is returned as a value, never asserted. It lives on the
// ground floor (the journal target) so that every layer, the journal included, has it.
#pragma once

namespace keel::detail {
[[noreturn]] void assert_fail(const char* expr, const char* msg, const char* file,
                              int line) noexcept;
}  // namespace keel::detail

#define KEEL_ASSERT(cond, msg)                                             \
    do {                                                                   \
        if (!(cond)) [[unlikely]]                                          \
            ::keel::detail::assert_fail(#cond, (msg), __FILE__, __LINE__); \
    } while (false)
