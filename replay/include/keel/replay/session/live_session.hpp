// A live paper session: `keel run` with a feed or webhook section. The pipeline is the one
// run_session assembles (threaded as configured, the simulated venue, the journal); its input
// is a LiveInputQueue that the adapters write to from their own threads, never the pipeline's:
//   - the market-data client (feed section: TCP lines or WebSocket, keel feed or a vendor),
//   - the TradingView webhook receiver (webhook section: its own HTTP server),
//   - the control API (control section: its own HTTP server, loopback by default),
// and a monitor thread that asks the pipeline for a state snapshot a few times a second (a
// query travels the stages as a control event: state_snapshot.hpp) for the control API.
//
// A new session journals the symbol definitions first. A journal that exists is continued
// (restart recovery, recovery.hpp), and the webhook's idempotency window is seeded from the
// journaled alerts, so an alert retried across a restart is still a duplicate. The session
// runs until stop is set (SIGINT/SIGTERM). With a stop policy (config `shutdown`,
// stop_policy.hpp) the monitor thread first journals its kill (cancel open orders, flatten) for
// every account and waits up to its deadline for the orders to be gone and the positions flat,
// reports what is not (stderr and the report's shutdown fields), and only then stops the
// pipeline. Then what was queued but never journaled is refused (its senders get 503), and the
// servers stop.
#pragma once

#include <atomic>
#include <optional>
#include <string>

#include "keel/engine/config/config.hpp"
#include "keel/replay/session/live_config.hpp"
#include "keel/replay/session/session.hpp"

namespace keel::replay {

// Runs the live session; nullopt with error set when it could not start (kExitUsage material:
// a bad live section, a port in use, a journal of another config).
[[nodiscard]] std::optional<SessionReport> run_live_session(const engine::Config& config,
                                                            const LiveConfig& live,
                                                            std::atomic<bool>& stop,
                                                            const SessionOptions& base,
                                                            std::string& error);

}  // namespace keel::replay
