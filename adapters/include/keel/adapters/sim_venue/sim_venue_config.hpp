// SimVenueConfig: every setting of the simulated venue, with its default. The integrator maps
// the JSON "venue" section onto it; validate() lists every problem at once for start-up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "keel/engine/core/fixed_point.hpp"

namespace keel::adapters {

// Rates (basis points, fractions) are fixed-point Ratios, so no double reaches a price or a fee.
using engine::Ratio;

// What drives matching. Market data of the other kind is still used as the reference price
// for buying power, but never fills an order.
enum class MatchMode : std::uint8_t {
    bars = 1,   // bar events (OHLCV): conservative intrabar rules, see sim_venue.hpp
    ticks = 2,  // trade and quote events
    // Each market event is matched by the rules of its own kind. Meant for sessions whose
    // symbols carry different kinds of data (one symbol's bars, another's trades); a symbol fed
    // both bars and trades would be matched twice over the same interval.
    per_event = 3,
};

enum class SlippageModel : std::uint8_t {
    none = 0,
    fixed_bps = 1,   // slippage_bps of the fill price
    size_based = 2,  // slippage_bps_per_pct for every 1% of the event's volume the fill takes
    volatility = 3,  // volatility_k * (high - low) / close of the bar (ticks: see sim_venue.hpp)
};

enum class CommissionModel : std::uint8_t {
    none = 0,
    per_share = 1,  // commission_per_share * quantity, at least commission_min per fill
    bps = 2,        // commission_bps of the fill's notional, at least commission_min per fill
};

struct SimVenueConfig {
    // Which market events drive matching.
    MatchMode mode = MatchMode::bars;
    // Orders that can rest at once; a new order beyond it is rejected with venue_full. All
    // storage is reserved for it at construction.
    std::size_t resting_capacity = 256;
    // Symbol ids must be below this (sizes the per-symbol last price and position tables).
    std::size_t symbol_capacity = 1024;
    // At most this many orders get a fill from one market event, taken in order-id order. It
    // bounds the replies one event can cause (see SimVenue::max_replies_per_event).
    std::size_t max_fills_per_event = 8;
    // The share of an event's volume (bar volume, trade size, quote size) that fills may take,
    // shared by all orders filled from that event; 0 = no cap (quotes are still bounded by
    // their size). 0.1 = 10%.
    Ratio participation{};

    // Slippage, always against the order and applied to the fill price; a limit never fills
    // beyond its limit, so slipped limit fills are clamped to the limit price.
    SlippageModel slippage = SlippageModel::none;
    Ratio slippage_bps{};          // fixed_bps: basis points of the price
    Ratio slippage_bps_per_pct{};  // size_based: bps per 1% of participation
    Ratio volatility_k{};          // volatility: multiplier of the bar's (high - low) / close

    CommissionModel commission = CommissionModel::none;
    engine::Money commission_per_share{};  // per_share: money per unit of quantity
    Ratio commission_bps{};                // bps: basis points of the fill's notional
    engine::Money commission_min{};        // per_share and bps: the least a fill is charged

    // The venue's own cash at the start; buys and short sales must fit in what is left of it
    // after resting orders' commitments (see sim_venue.hpp).
    engine::Money buying_power = engine::Money::from_units(1'000'000);

    // Order latency: each submission draws fixed_ns + uniform[0, jitter_ns] from the seeded
    // generator. The order may match only market events at or after submit + latency, and the
    // reply to the submission (ack or reject) is stamped submit + latency.
    std::int64_t latency_ns = 0;
    std::int64_t latency_jitter_ns = 0;

    // Alert prices (sim_venue.hpp, "Alert prices"): a symbol that has had no market data is
    // priced by the alerts about it, each alert's price a trade print. Off: alerts move nothing.
    bool fill_at_alert_price = true;
    // Not a config key: the session has no market-data source (no feed, no data files; set by
    // the session assembly). With fill_at_alert_price, a market order for a symbol no alert has
    // priced is then rejected (no_market_price): nothing would ever fill it.
    bool no_market_data = false;
};

// Every problem with the configuration, as "field: what is wrong"; empty when it is usable.
[[nodiscard]] std::vector<std::string> validate(const SimVenueConfig& config);

}  // namespace keel::adapters
