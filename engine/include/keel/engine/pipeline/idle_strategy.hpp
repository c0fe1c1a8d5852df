// Idle strategies (Aeron's): what an agent thread does when a duty cycle found no work.
#pragma once

#include <sched.h>

#include <cstdint>
#include <ctime>
#include <optional>
#include <string_view>

namespace keel::engine {

enum class IdleKind : std::uint8_t {
    busy_spin,  // never gives up the core: lowest latency, needs an isolated core
    yield,      // sched_yield() every idle cycle: shares a core politely, still hot
    backoff,    // spin, then yield, then park with exponentially growing sleeps
    park,       // a short spin, then sleep kParkNs per idle cycle: cheapest, slowest to wake
};

[[nodiscard]] std::string_view to_string(IdleKind k) noexcept;
[[nodiscard]] std::optional<IdleKind> parse_idle_kind(std::string_view s) noexcept;

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

class IdleStrategy {
  public:
    static constexpr int kMaxSpins = 100;
    static constexpr int kMaxYields = 50;
    static constexpr std::int64_t kMinParkNs = 1'000;
    static constexpr std::int64_t kMaxParkNs = 1'000'000;
    static constexpr std::int64_t kParkNs = 100'000;

    explicit IdleStrategy(IdleKind kind) noexcept : kind_(kind) {}

    // Called once per duty cycle with the amount of work it did.
    void idle(int work_count) noexcept {
        if (work_count > 0) {
            reset();
            return;
        }
        switch (kind_) {
            case IdleKind::busy_spin:
                cpu_relax();
                return;
            case IdleKind::yield:
                sched_yield();
                return;
            case IdleKind::backoff:
                backoff();
                return;
            case IdleKind::park:
                if (spins_ < kMaxSpins) {
                    ++spins_;
                    cpu_relax();
                } else {
                    sleep_ns(kParkNs);
                }
                return;
        }
    }
    void reset() noexcept {
        spins_ = 0;
        yields_ = 0;
        park_ns_ = kMinParkNs;
    }
    [[nodiscard]] IdleKind kind() const noexcept { return kind_; }

  private:
    void backoff() noexcept {
        if (spins_ < kMaxSpins) {
            ++spins_;
            cpu_relax();
        } else if (yields_ < kMaxYields) {
            ++yields_;
            sched_yield();
        } else {
            sleep_ns(park_ns_);
            park_ns_ = park_ns_ * 2 > kMaxParkNs ? kMaxParkNs : park_ns_ * 2;
        }
    }
    static void sleep_ns(std::int64_t ns) noexcept {
        timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
        nanosleep(&ts, nullptr);
    }

    IdleKind kind_;
    int spins_ = 0;
    int yields_ = 0;
    std::int64_t park_ns_ = kMinParkNs;
};

}  // namespace keel::engine
