// PriceBand: the market-data sanity band a live feed adapter holds every tick to before it is
// journaled. Per symbol, a price must lie in [min_price, max_price] and within max_jump_pct of
// the last accepted price (the anchor); a tick outside is refused, and the adapter journals a
// tick_refused input (price, band, reason) in its place, so no stage ever sees it.
//
// The anchor moves with every accepted tick. A real move (a gap, a split, a news spike) is
// accepted once reanchor_after consecutive refused ticks agree with each other (each within
// max_jump_pct of the one before): the last of them becomes the anchor and is accepted. A tick
// after a quiet spell of at least reanchor_gap_ns since the last accepted one (a session's open
// after the close, a weekend) is held to [min_price, max_price] only and re-anchors the band.
// min_price and max_price are never re-anchored. The band reads no clock: time is the tick's.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "keel/engine/core/event.hpp"
#include "keel/engine/core/fixed_point.hpp"
#include "keel/engine/core/symbol_id.hpp"

namespace keel::adapters {

struct BandLimits {
    engine::Price min_price{};  // lowest price accepted; a price <= 0 is always refused
    engine::Price max_price{};  // highest price accepted; 0: no upper bound
    // Largest move from the anchor, in percent (20% = Ratio::from_units(20)); 0: no jump check.
    engine::Ratio max_jump_pct = engine::Ratio::from_raw(-1);  // < 0: BandOptions' default
};

struct BandOptions {
    // The jump bound of a symbol whose limits leave it negative (and of symbols given none).
    engine::Ratio default_max_jump_pct = engine::Ratio::from_units(20);
    std::uint32_t reanchor_after = 3;  // consecutive agreeing refused ticks that move the anchor
    std::int64_t reanchor_gap_ns = 3'600'000'000'000;  // a quiet spell this long re-anchors
};

// The defaults every symbol gets unless its config says otherwise: prices must be positive
// and may move BandOptions::default_max_jump_pct (20%) between consecutive ticks of a session
// (a session's open after a quiet hour re-anchors).

class PriceBand {
  public:
    PriceBand(std::vector<BandLimits> per_symbol, BandOptions options);

    // Checks a market-data event (trade, quote or bar) of a symbol inside the table; returns
    // the refusal to journal instead of it, or nothing when it is accepted (and re-anchored).
    // Other event types and symbols outside the table are accepted untouched.
    [[nodiscard]] std::optional<engine::TickRefusedPayload> check(const engine::Event& e) noexcept;
    // Seeds a symbol's anchor (the last price a journal accepted, at a restart).
    void seed(engine::SymbolId symbol, engine::Price price, std::int64_t ts_ns) noexcept;
    // Seeds the anchor of an accepted market-data event's symbol (trade, quote or bar) at the
    // price check() holds the next tick to; other events are ignored. A restart replays its
    // journal's market data through this, in order, so the band continues where it stopped.
    void seed(const engine::Event& accepted) noexcept;

    [[nodiscard]] std::uint64_t refused() const noexcept { return refused_; }
    [[nodiscard]] std::uint64_t reanchored() const noexcept { return reanchored_; }

  private:
    struct State {
        BandLimits limits;
        engine::Price anchor{};
        std::int64_t anchor_ts_ns = 0;
        engine::Price pending{};  // the last refused jump, and how many agree so far
        std::uint32_t pending_count = 0;
    };
    [[nodiscard]] std::optional<engine::TickRefusedPayload> check_price(
        State& s, engine::EventType type, engine::Price price, std::int64_t ts_ns) noexcept;
    [[nodiscard]] static bool within_jump(const BandLimits& l, engine::Price from,
                                          engine::Price to) noexcept;
    static void fill_band(const State& s, engine::TickRefusedPayload& r) noexcept;

    std::vector<State> states_;
    BandOptions options_;
    std::uint64_t refused_ = 0;
    std::uint64_t reanchored_ = 0;
};

}  // namespace keel::adapters
