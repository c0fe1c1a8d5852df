// LiveConfig: a config's live sections (feed, webhook, control) read into the adapters'
// options, every problem reported with its key path. `keel config check` and `keel run` both
// read them here, so a check that passes is a run that starts.
//
// Secrets (webhook.secret, webhook.signature_secret, control.token, notify[i].url,
// notify[i].token) come from the config file
// or, better, from the environment (KEEL__WEBHOOK__SECRET=..., KEEL__CONTROL__TOKEN=...; the
// usual environment overrides); the journaled copy of the config has them masked. They fail
// closed: a webhook without a strong secret (or a strong signature_secret with
// require_signature), or a control API without a strong token (unless `control.auth: "none"`,
// which binds loopback only), is an error naming the key; strong is at least 16 characters and
// not a placeholder of the shipped configs (engine/config/secrets.hpp: weak_secret). A notify
// target's url or token is not checked for strength (the service issued it), only for shape.
#pragma once

#include <optional>
#include <vector>

#include "keel/adapters/control/control_api.hpp"
#include "keel/adapters/feed/feed_client.hpp"
#include "keel/adapters/http/http_server.hpp"
#include "keel/adapters/notify/notify_outbox.hpp"
#include "keel/adapters/webhook/webhook_receiver.hpp"
#include "keel/engine/config/config.hpp"

namespace keel::replay {

struct WebhookConfig {
    adapters::http::ServerOptions server;
    adapters::webhook::WebhookOptions receiver;  // symbols are filled in at start
};

struct ControlConfig {
    adapters::http::ServerOptions server;
    adapters::control::ControlApiOptions api;
};

// What engine time is in a live session (config `live.time`):
//   wall  every adapter stamps what it queues with the wall clock (its receipt time) and a
//         clock thread queues a journaled `clock` tick every live.clock_tick_ms, so timers
//         fire with no other input; a feed's own timestamps go in the records' tails.
//   data  engine time follows the data (the feed's timestamps), as a backtest's does: for
//         replaying recorded feeds (`keel feed` of historical files). Inputs without a time
//         of their own (alerts, commands) take the current engine time.
// Default: wall when the session has a webhook (alerts arrive in real time and nothing else
// would move time); data for a feed-only session, whose data carries its own times (a live
// feed's are close to the wall clock, a recorded one's are the times to replay).
enum class LiveTime : std::uint8_t { wall, data };

struct LiveConfig {
    std::optional<adapters::feed::FeedClientOptions> feed;
    std::optional<WebhookConfig> webhook;
    std::optional<ControlConfig> control;
    // The notification targets (`notify`), when the config has any.
    std::optional<adapters::notify::NotifyOptions> notify;
    LiveTime time = LiveTime::data;
    std::uint32_t clock_tick_ms = 100;
    [[nodiscard]] bool live() const noexcept { return feed.has_value() || webhook.has_value(); }
    [[nodiscard]] bool wall_time() const noexcept { return live() && time == LiveTime::wall; }
};

// Reads the sections present; problems go to errors (nothing thrown).
[[nodiscard]] LiveConfig read_live_config(const engine::Config& config,
                                          std::vector<engine::ConfigError>& errors);

}  // namespace keel::replay
