// DuplicateFilter: the last kCapacity approved new orders, to refuse the same order placed
// again within a window (a strategy or webhook sending twice). Fixed storage; the oldest entry
// is overwritten, so a burst of more than kCapacity distinct orders may let a duplicate of the
// oldest through, which the throttle is there to prevent.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "keel/engine/core/event.hpp"

namespace keel::engine {

struct OrderKey {
    SymbolId symbol = kNoSymbol;
    Side side = Side::none;
    OrderType type = OrderType::market;
    std::int64_t price_raw = 0;
    std::int64_t stop_price_raw = 0;
    std::int64_t quantity_raw = 0;
    friend bool operator==(const OrderKey&, const OrderKey&) = default;
};

class DuplicateFilter {
  public:
    static constexpr std::size_t kCapacity = 64;

    void record(const OrderKey& key, std::int64_t ts_ns) noexcept {
        entries_[next_] = Entry{key, ts_ns, true};
        next_ = (next_ + 1) % kCapacity;
    }
    // True when an equal order was recorded in [now - window, now].
    [[nodiscard]] bool seen(const OrderKey& key, std::int64_t window_ns,
                            std::int64_t now_ns) const noexcept {
        for (const Entry& e : entries_) {
            if (e.used && now_ns - e.ts_ns <= window_ns && e.key == key)
                return true;
        }
        return false;
    }

  private:
    struct Entry {
        OrderKey key{};
        std::int64_t ts_ns = 0;
        bool used = false;
    };
    std::array<Entry, kCapacity> entries_{};
    std::size_t next_ = 0;
};

}  // namespace keel::engine
