// DayTradeCounter: day trades per trading day over the last five trading days (the pattern-
// day-trader window), in fixed storage. A trading day starts at each session_open timer, so
// "business days" are the sessions the engine actually saw.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace keel::engine {

class DayTradeCounter {
  public:
    static constexpr std::size_t kDays = 5;

    // Starts a new trading day: the oldest of the five days drops out of the count.
    void start_day() noexcept {
        day_ = (day_ + 1) % kDays;
        counts_[day_] = 0;
    }
    void record() noexcept { ++counts_[day_]; }
    [[nodiscard]] std::int64_t today() const noexcept { return counts_[day_]; }
    // Day trades in today and the four trading days before it.
    [[nodiscard]] std::int64_t count() const noexcept {
        std::int64_t n = 0;
        for (std::int64_t c : counts_)
            n += c;
        return n;
    }

  private:
    std::array<std::int64_t, kDays> counts_{};
    std::size_t day_ = 0;
};

}  // namespace keel::engine
