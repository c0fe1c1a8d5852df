// What the outbox does after one delivery attempt: done, try again after a delay, or give up.
//   2xx                              delivered;
//   429                              rate limited: wait what the service asked (the
//                                    Retry-After header, Discord's body `retry_after`,
//                                    Telegram's `parameters.retry_after`; the longest), at
//                                    least the backoff's current delay when it named none;
//   no answer, 408, 5xx              failed: retry after the backoff's delay, doubling from
//                                    retry_initial_ms up to retry_max_ms;
//   any other status (400, 401, 404) refused for good: retrying the same message cannot help
//                                    (a revoked webhook, a bad chat id), so it is given up,
//                                    journaled and logged (the URL never).
// Pure functions: the tests drive them without a clock.
#pragma once

#include <cstdint>
#include <string_view>

namespace keel::adapters::notify {

enum class Verdict : std::uint8_t { delivered, retry, give_up };

struct RetryDecision {
    Verdict verdict = Verdict::retry;
    std::uint64_t delay_ms = 0;  // retry: how long to wait before the next attempt
    bool rate_limited = false;   // a 429
};

// The doubling delay after consecutive failures (reset by a delivery).
struct Backoff {
    std::uint32_t initial_ms = 500;
    std::uint32_t max_ms = 30'000;
    [[nodiscard]] std::uint64_t delay_ms(std::uint32_t failures) const noexcept;
};

// The wait a 429 asks for, in ms: the Retry-After header (seconds; an HTTP date is not
// honoured and reads as none) or the body's retry_after (Discord: seconds, maybe fractional;
// Telegram: parameters.retry_after), whichever is longer; 0 when neither names one. Capped at
// an hour.
[[nodiscard]] std::uint64_t retry_after_ms(std::string_view header, std::string_view body) noexcept;

// status 0: no answer (connection refused, reset, timeout). failures: consecutive failed
// attempts of this target before this one.
[[nodiscard]] RetryDecision decide(unsigned status, std::string_view retry_after_header,
                                   std::string_view body, std::uint32_t failures,
                                   const Backoff& backoff) noexcept;

}  // namespace keel::adapters::notify
