// FillWindow: the times of the most recent fills of one symbol, in fixed storage, to answer
// "were there more than N fills within the last W ns" in constant time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace keel::engine {

class FillWindow {
  public:
    static constexpr std::size_t kCapacity = 32;  // answers for N up to kCapacity - 1

    void record(std::int64_t ts_ns) noexcept {
        ts_[next_] = ts_ns;
        next_ = (next_ + 1) % kCapacity;
        if (count_ < kCapacity)
            ++count_;
    }
    // True when more than max_fills fills happened in [now - window, now]: the (max_fills+1)-th
    // most recent fill is inside the window (the window is inclusive at both ends).
    [[nodiscard]] bool more_than(std::size_t max_fills, std::int64_t window_ns,
                                 std::int64_t now_ns) const noexcept {
        if (max_fills >= kCapacity || count_ <= max_fills)
            return false;
        const std::size_t back = max_fills + 1;  // 1 = the most recent fill
        const std::int64_t t = ts_[(next_ + kCapacity - back) % kCapacity];
        return now_ns - t <= window_ns;
    }

  private:
    std::array<std::int64_t, kCapacity> ts_{};
    std::size_t next_ = 0;
    std::size_t count_ = 0;
};

}  // namespace keel::engine
