// The `venue` section of an Alpaca account (venue.type "alpaca"), every key with its default:
//   "venue": {
//     "type": "alpaca",
//     "environment": "paper",      // paper | live: the REST and stream hosts
//                                  //   paper https://paper-api.alpaca.markets, live
//                                  //   https://api.alpaca.markets; the stream is /stream there
//     "base_url": "",              // instead: the REST API's https URL (tests: the local server)
//     "stream_url": "",            // and the trade_updates stream's wss URL
//     "ca_file": "",               // a PEM file of CAs to trust (else the system's)
//     "key_id": "...", "secret_key": "...",  // secrets: from KEEL__VENUE__KEY_ID and
//                                  //   KEEL__VENUE__SECRET_KEY; sent as APCA-API-KEY-ID and
//                                  //   APCA-API-SECRET-KEY, never logged or journaled
//     "request_timeout_ms": 5000,  // one REST request's deadline (connect to answer)
//     "rate_limit_per_min": 200,   // the client-side limiter (Alpaca allows 200 a minute)
//     "account_poll_ms": 5000,     // GET /v2/account this often once ready (0: only at start)
//     "max_order_age_ms": 5000,    // a new order not sent by then (rate limit) is refused;
//                                  //   an order in doubt is sent again only within it
//     "reconcile": {
//       "adopt_unknown": false     // an open order at Alpaca this journal never sent is
//     },                           //   adopted (owned by no strategy) instead of refused
//     "idle": "park", "drain_ms": 2000   // venue_threading_from_json
//   }
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keel/engine/config/config.hpp"

namespace keel::adapters::alpaca {

struct AlpacaVenueConfig {
    std::string base_url;    // https://host[:port], no trailing slash
    std::string stream_url;  // wss://host[:port]/stream
    std::string ca_file;
    std::string key_id;
    std::string secret_key;
    std::int64_t request_timeout_ms = 5000;
    std::uint32_t rate_limit_per_min = 200;
    std::int64_t account_poll_ms = 5000;
    std::int64_t max_order_age_ms = 5000;
    bool adopt_unknown = false;
};

// Every problem with its key path, appended to errors (never a key's value).
[[nodiscard]] AlpacaVenueConfig alpaca_venue_config_from_json(
    const engine::Json& venue, std::vector<engine::ConfigError>& errors,
    const std::string& path = "venue");

}  // namespace keel::adapters::alpaca
