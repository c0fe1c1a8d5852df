// The JSON "venue" section mapped onto the simulated venue's settings. The engine's config
// loader only reads venue.type (the engine does not know adapters); this fills in the rest and
// reports every problem with its key path, so `keel config check` lists them all at once.
#pragma once

#include <optional>
#include <vector>

#include "keel/adapters/sim_venue/sim_venue_config.hpp"
#include "keel/engine/config/config.hpp"
#include "keel/engine/pipeline/idle_strategy.hpp"

namespace keel::adapters {

//   "venue": {
//     "type": "sim",
//     "mode": "bars" | "ticks" | "per_event",        default per_event
//     "resting_capacity": 256, "max_fills_per_event": 8, "participation": "0.1",
//     "slippage": {"model": "none|fixed_bps|size_based|volatility", "bps": "2",
//                  "bps_per_pct": "1", "volatility_k": "0.1"},
//     "commission": {"model": "none|per_share|bps", "per_share": "0.005", "bps": "1",
//                    "min": "1"},
//     "buying_power": "1000000" (default: account_cash, the account's starting_cash),
//     "latency_ns": 0, "latency_jitter_ns": 0,
//     "fill_at_alert_price": true,
//     "threaded": false, "idle": "busy_spin|yield|park", "drain_ms": 2000
//   }
[[nodiscard]] SimVenueConfig sim_venue_config_from_json(
    const engine::Json& venue, std::size_t symbol_capacity,
    std::vector<engine::ConfigError>& errors,
    std::optional<engine::Money> account_cash = std::nullopt);

// How the venue adapter runs (venue_channel.hpp, threaded_venue.hpp), for any venue type:
// threaded runs the simulator on its own thread behind the asynchronous seam (protocol venues
// always run so); idle is how its thread waits for requests (default park); drain_ms is how
// long a stop waits for replies the venue still owes (default 2000, at most 600000).
struct VenueThreading {
    bool threaded = false;
    engine::IdleKind idle = engine::IdleKind::park;
    std::int64_t drain_ms = 2000;
};
[[nodiscard]] VenueThreading venue_threading_from_json(const engine::Json& venue,
                                                       std::vector<engine::ConfigError>& errors);

// Checks the parts of a loaded config that belong to adapters (today: the venue section),
// appending to errors.
void validate_adapter_config(const engine::Config& config,
                             std::vector<engine::ConfigError>& errors);

}  // namespace keel::adapters
