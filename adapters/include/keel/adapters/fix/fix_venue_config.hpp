// The `venue` section of a FIX account (venue.type "fix"), every key with its default:
//   "venue": {
//     "type": "fix",
//     "host": "127.0.0.1", "port": 9878,            // the counterparty's acceptor (required)
//     "sender_comp_id": "KEEL", "target_comp_id": "VENUE",  // (both required)
//     "heartbeat_s": 30, "reconnect_s": 5,           // HeartBtInt; ReconnectInterval
//     "start_time": "00:00:00", "end_time": "00:00:00",  // session schedule, UTC (equal: always)
//     "max_resend_age_ms": 5000,   // an older message is gap-filled on a resend, never sent late
//     "status_retry_ms": 5000,     // a reconciliation status request unanswered this long: again
//     "reconcile": {
//       "mass_status": false,    // true: the venue answers OrderMassStatusRequest (AF);
//                                // reconciliation then also finds working orders at the venue
//                                // this journal never sent, and refuses to trade while any is
//       "adopt_unknown": false   // true (needs mass_status): such an order is adopted instead
//     },                         // (journaled as keel's, owned by no strategy)
//     "username": "...", "password": "...",  // secrets: from KEEL__VENUE__USERNAME / _PASSWORD
//     "idle": "park", "drain_ms": 2000       // venue_threading_from_json
//   }
// The session's sequence numbers and sent messages are kept in the journal directory's `fix/`
// (QuickFIX's file store), so a restart continues the session where it was.
#pragma once

#include <vector>

#include "keel/adapters/fix/fix_session.hpp"
#include "keel/engine/config/config.hpp"

namespace keel::adapters::fix {

struct FixVenueConfig {
    FixSessionSettings session;
    std::int64_t max_resend_age_ms = 5000;
    std::int64_t status_retry_ms = 5000;
    bool mass_status = false;  // reconcile.mass_status: the venue answers AF
    bool adopt_unknown = false;  // reconcile.adopt_unknown: adopt the venue's foreign orders
};

// Every problem with its key path, appended to errors.
[[nodiscard]] FixVenueConfig fix_venue_config_from_json(const engine::Json& venue,
                                                        std::vector<engine::ConfigError>& errors,
                                                        const std::string& path = "venue");

}  // namespace keel::adapters::fix
