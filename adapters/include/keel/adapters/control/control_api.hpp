// ControlApi: the operator's HTTP API as an http::Handler (mounted on the HTTP server by the
// integrator; tested without sockets). adapters/README.md has the table of routes.
//
// - GET /health/live and /health/ready need no token; everything else needs (unless the
//   session asked for none: config control.auth "none", loopback only)
//   "Authorization: Bearer <token>", compared in constant time (SHA-256 digests compared with
//   CRYPTO_memcmp, so neither content nor length leaks through timing).
// - GET /metrics, /api/status, /api/positions, /api/orders, /api/account read snapshots.
// - POST /api/pause, /api/resume, /api/kill, /api/unkill and /api/risk become command input
//   events. The answer (200 {"accepted":true,"seq":N}) waits until the last of them is durable:
//   the handler returns at once and polls the ticket from tasks on the Scheduler, so the
//   server's I/O thread never blocks.
// - Every call, whatever its answer, is journaled as an audit event (endpoint, method, status,
//   code, remote IPv4), never with the token.
//
// Threads: the handler and its scheduled tasks run on the server's I/O thread(s); they are
// thread-safe among themselves. The port, scheduler, state publisher, readiness source and
// metrics callback must outlive every call and scheduled task (stop the io_context first).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "keel/adapters/control/metrics_snapshot.hpp"
#include "keel/adapters/control/readiness.hpp"
#include "keel/adapters/control/scheduler.hpp"
#include "keel/adapters/control/state_view.hpp"
#include "keel/adapters/http/http_message.hpp"
#include "keel/adapters/input/input_port.hpp"

namespace keel::adapters::control {

struct ControlApiOptions {
    // The bearer token (from the environment or a secrets file; never from a journaled
    // config). Must not be empty unless require_token is false. Only its SHA-256 digest is kept.
    std::string token;
    // false (config control.auth "none", loopback only): every route answers without a token,
    // and token must be empty.
    bool require_token = true;
    // How often a command's ticket is polled, and how long the answer may wait for it.
    std::chrono::milliseconds poll_interval{1};
    std::chrono::milliseconds durable_timeout{5000};
    // Largest POST body read; a larger one is answered 413 body_too_large.
    std::size_t max_body_bytes = 64 * 1024;
    // The session's accounts by index (config `accounts`; with one account, its name). A
    // command body may name one ("account": NAME) to act on it alone; without, a command acts
    // on every account.
    std::vector<std::string> accounts;
};

struct ControlApiDeps {
    InputPort& port;
    Scheduler& scheduler;
    const StatePublisher& state;
    const ReadinessSource& readiness;
    // Fills the snapshot GET /metrics renders (called on the I/O thread; must be thread-safe).
    std::function<MetricsSnapshot()> metrics;
};

class ControlApi {
  public:
    // Throws std::invalid_argument when the token is empty and required, or set and not
    // required (a start-up error).
    ControlApi(ControlApiDeps deps, ControlApiOptions options);
    ~ControlApi();
    ControlApi(const ControlApi&) = delete;
    ControlApi& operator=(const ControlApi&) = delete;

    // Answers one request, exactly once (now, or from a scheduled task for commands).
    void handle(http::HttpRequest&& request, http::Respond respond);
    // A Handler for the HTTP server; it shares this API's state and keeps it alive while
    // scheduled tasks are pending.
    [[nodiscard]] http::Handler handler();

    // Audit events the input queue refused (full or closed): they are counted, not retried.
    [[nodiscard]] std::uint64_t audits_dropped() const noexcept;

    struct Core;

  private:
    std::shared_ptr<Core> core_;
};

}  // namespace keel::adapters::control
