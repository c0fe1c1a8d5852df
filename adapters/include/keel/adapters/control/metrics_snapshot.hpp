// MetricsSnapshot: every number GET /metrics exposes, as one plain value the integrator fills
// on a cold thread (from the stages' StageMetrics, the journal writer, the live input queue, the
// webhook receiver, the feed and the accounts). render_prometheus (prometheus.hpp) turns it into
// text; nothing here reads a live object, so rendering is a pure function a test can check.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keel/engine/core/fixed_point.hpp"
#include "keel/engine/pipeline/latency_histogram.hpp"

namespace keel::adapters::control {

// A Prometheus histogram: cumulative counts at fixed upper bounds, in nanoseconds.
struct HistogramSnapshot {
    struct Bucket {
        std::uint64_t le_ns = 0;       // upper bound (inclusive), nanoseconds
        std::uint64_t cumulative = 0;  // values <= le_ns
    };
    std::vector<Bucket> buckets;  // ascending le_ns; +Inf is count
    std::uint64_t count = 0;
    std::uint64_t sum_ns = 0;
};

// The service-time bounds /metrics uses: 100 ns to 10 ms in 1-2.5-5 steps.
[[nodiscard]] const std::vector<std::uint64_t>& default_latency_bounds_ns();

// Reads a LatencyHistogram (any thread, while it records) into cumulative counts at bounds_ns
// (ascending). A bucket counts into a bound when its lowest value is <= the bound, so a count
// may include values up to one bucket width (< 0.4%) above it. The sum is estimated from bucket
// midpoints, since the histogram keeps no sum. count is the sum of the buckets read, so the
// +Inf bucket always equals it even while the histogram is being written.
[[nodiscard]] HistogramSnapshot snapshot_histogram(
    const engine::LatencyHistogram& histogram,
    const std::vector<std::uint64_t>& bounds_ns = default_latency_bounds_ns());

struct StageSnapshot {
    std::string stage;  // ingest, strategy, risk, gateway
    std::uint64_t events_in = 0;
    std::uint64_t events_out = 0;
    std::uint64_t ring_full_waits = 0;
    std::uint64_t ring_depth = 0;       // events waiting on the stage's input ring now
    std::uint64_t ring_high_water = 0;  // the deepest that ring has been
    HistogramSnapshot service;          // time inside on_event (sampled)
};

// One value of a labelled counter family: the label's value and the count.
struct LabelledCount {
    std::string label;
    std::uint64_t value = 0;
};

struct MetricsSnapshot {
    std::vector<StageSnapshot> stages;
    std::uint64_t last_seq = 0;

    // The live input queue adapters hand inputs to ingest through.
    std::uint64_t input_queue_depth = 0;
    std::uint64_t input_queue_refused = 0;  // submits refused: queue or ticket pool full

    // The journal's input stream.
    std::uint64_t journal_bytes = 0;            // bytes appended
    std::uint64_t journal_records = 0;          // records appended
    std::uint64_t journal_durable_records = 0;  // of those, durable (lag = the difference)

    std::vector<LabelledCount> risk_rejects;      // label: reason (engine::to_string(Reason))
    std::vector<LabelledCount> alerts;            // label: verdict (accepted, duplicate, ...)
    std::vector<LabelledCount> webhook_requests;  // label: code (engine::to_string(ApiCode))

    // The notification outbox (`notify`; absent when none is configured).
    bool notify = false;
    std::vector<LabelledCount> notify_deliveries;  // label: outcome (delivered, rate_limited,
                                                   // failed, given_up)
    std::uint64_t notify_overflowed = 0;           // summarised instead of sent one by one
    std::uint64_t notify_summaries = 0;            // summaries delivered
    std::uint64_t notify_tap_dropped = 0;          // events the tap's ring had no room for
    std::uint64_t notify_queued = 0;               // waiting in the outbox now
    std::uint64_t notify_audits_dropped = 0;       // outcomes the input queue refused

    // The market-data feed.
    bool feed_connected = false;
    std::uint64_t feed_messages = 0;
    std::uint64_t feed_bad_messages = 0;
    std::uint64_t feed_reconnects = 0;
    std::uint64_t feed_stale_symbols = 0;

    // The venue adapter's thread (venue.threaded; all zero otherwise).
    bool venue_threaded = false;
    std::uint64_t venue_requests = 0;            // requests handed to the adapter
    std::uint64_t venue_unhandled = 0;           // of those, not yet taken by it
    std::uint64_t venue_wakes = 0;               // wakes of the parked adapter
    std::uint64_t venue_request_full_waits = 0;  // the gateway found the request ring full
    std::uint64_t venue_reply_full_waits = 0;    // the adapter found the reply queue full
    std::uint64_t venue_awaiting = 0;            // requests sent, not yet answered

    // FIX sessions (venue.type "fix"), summed over the accounts that have one; fix false: none.
    bool fix = false;
    std::uint64_t fix_sent = 0;              // application messages sent
    std::uint64_t fix_reports = 0;           // execution reports and cancel rejects received
    std::uint64_t fix_duplicates = 0;        // reports dropped: ExecID seen before
    std::uint64_t fix_malformed = 0;         // reports that did not decode
    std::uint64_t fix_unknown_order = 0;     // reports about no order keel knows
    std::uint64_t fix_refused_offline = 0;   // orders refused: session not ready
    std::uint64_t fix_stale_gap_filled = 0;  // resends older than max_resend_age_ms, not sent
    std::uint64_t fix_resent = 0;            // resends within it
    std::uint64_t fix_logons = 0;
    std::uint64_t fix_disconnects = 0;
    std::uint64_t fix_status_requests = 0;
    std::uint64_t fix_resolved = 0;          // orders reconciliation resolved
    std::uint64_t fix_foreign_orders = 0;    // venue orders the journal never sent
    std::uint64_t fix_adopted = 0;           // of them, adopted (reconcile.adopt_unknown)
    std::uint64_t fix_sequence_gaps = 0;     // resend requests sent
    std::uint64_t fix_session_rejects = 0;   // venue messages refused at the session level

    // A broker adapter's counters (venue.type "alpaca"), summed over its accounts: each one a
    // Prometheus counter of its own name (keel_alpaca_..._total) and help text.
    struct NamedCount {
        std::string name;
        std::string help;
        std::uint64_t value = 0;
    };
    std::vector<NamedCount> venue_counts;

    // P&L and exposure of the account, in currency units (display only).
    engine::Money realized{};
    engine::Money unrealized{};
    engine::Money equity{};
    engine::Money gross_exposure{};  // sum of |market value|
    engine::Money net_exposure{};    // sum of signed market value

    // Filled by the control API itself: calls by endpoint and code, audit events it could not
    // queue.
    struct ApiCount {
        std::string endpoint;
        std::string code;
        std::uint64_t value = 0;
    };
    std::vector<ApiCount> api_requests;
    std::uint64_t api_audits_dropped = 0;
};

}  // namespace keel::adapters::control
