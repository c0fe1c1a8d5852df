#include "keel/engine/core/crash_point.hpp"

#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>

namespace keel::engine {

namespace detail {
std::atomic<CrashPoint> g_armed_crash_point{CrashPoint::none};
namespace {
std::atomic<std::uint64_t> g_countdown{0};
}  // namespace

bool crash_countdown_done() noexcept {
    return g_countdown.fetch_sub(1, std::memory_order_relaxed) == 1;
}

void crash_now(CrashPoint p) noexcept {
    // write(2), not a stream: nothing buffered, nothing allocated, on any thread.
    const std::string_view name = to_string(p);
    constexpr std::string_view head = "keel: KEEL_CRASH_AT: killed at crash point ";
    (void)!::write(STDERR_FILENO, head.data(), head.size());
    (void)!::write(STDERR_FILENO, name.data(), name.size());
    (void)!::write(STDERR_FILENO, "\n", 1);
    ::kill(::getpid(), SIGKILL);
    std::abort();  // not reached: SIGKILL cannot be caught
}
}  // namespace detail

std::string_view to_string(CrashPoint p) noexcept {
    switch (p) {
        case CrashPoint::none:
            return "none";
        case CrashPoint::order_sent:
            return "order_sent";
        case CrashPoint::venue_sent:
            return "venue_sent";
        case CrashPoint::reply_received:
            return "reply_received";
        case CrashPoint::input_journaled:
            return "input_journaled";
        case CrashPoint::recovery_rederived:
            return "recovery_rederived";
    }
    return "unknown";
}

void arm_crash_point(CrashPoint p, std::uint64_t n) noexcept {
    detail::g_countdown.store(n, std::memory_order_relaxed);
    detail::g_armed_crash_point.store(p, std::memory_order_relaxed);
}

std::optional<std::string> arm_crash_point_from_env() {
    const char* value = std::getenv("KEEL_CRASH_AT");
    if (value == nullptr)
        return std::nullopt;
    const std::string_view text(value);
    if (!KEEL_CRASH_POINTS)
        return "KEEL_CRASH_AT is set ('" + std::string(text.substr(0, 80)) +
               "') but this build has no crash points (they are in test builds: the dev, asan "
               "and tsan presets); unset it";
    const std::size_t colon = text.find(':');
    const std::string_view name = text.substr(0, colon);
    std::uint64_t n = 1;
    if (colon != std::string_view::npos) {
        const std::string_view count = text.substr(colon + 1);
        const auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
        if (ec != std::errc{} || end != count.data() + count.size() || n == 0)
            return "KEEL_CRASH_AT: '" + std::string(count.substr(0, 80)) +
                   "' is not a pass count (a whole number from 1), in '" +
                   std::string(text.substr(0, 80)) + "'";
    }
    for (const CrashPoint p : kCrashPoints) {
        if (to_string(p) == name) {
            arm_crash_point(p, n);
            return std::nullopt;
        }
    }
    std::string names;
    for (const CrashPoint p : kCrashPoints)
        names += (names.empty() ? "" : ", ") + std::string(to_string(p));
    return "KEEL_CRASH_AT: no crash point '" + std::string(name.substr(0, 80)) +
           "' (the points: " + names + "; the value is <point>[:N])";
}

}  // namespace keel::engine
