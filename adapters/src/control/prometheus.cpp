#include "keel/adapters/control/prometheus.hpp"

#include <cstdint>
#include <initializer_list>

#include "keel/assert.hpp"

namespace keel::adapters::control {

namespace {
// __extension__ keeps -Wpedantic quiet about the GNU type.
__extension__ typedef unsigned __int128 u128;
}  // namespace

const std::vector<std::uint64_t>& default_latency_bounds_ns() {
    static const std::vector<std::uint64_t> kBounds = {
        100,    250,     500,     1'000,   2'500,     5'000,     10'000,    25'000,
        50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000,
    };
    return kBounds;
}

HistogramSnapshot snapshot_histogram(const engine::LatencyHistogram& h,
                                     const std::vector<std::uint64_t>& bounds_ns) {
    using H = engine::LatencyHistogram;
    HistogramSnapshot out;
    out.buckets.reserve(bounds_ns.size());
    for (std::size_t j = 0; j < bounds_ns.size(); ++j) {
        KEEL_ASSERT(j == 0 || bounds_ns[j] > bounds_ns[j - 1], "histogram bounds must ascend");
        out.buckets.push_back({bounds_ns[j], 0});
    }
    // One pass over the buckets: each count goes to the first bound at or above the bucket's
    // lowest value, then the bounds are made cumulative.
    std::vector<std::uint64_t> per_bound(bounds_ns.size(), 0);
    u128 sum = 0;
    std::size_t j = 0;
    for (std::size_t i = 0; i < H::kBuckets; ++i) {
        const std::uint64_t c = h.bucket_count(i);
        if (c == 0)
            continue;
        out.count += c;
        const std::uint64_t lowest = H::lowest_of(i);
        sum += static_cast<u128>(c) * (lowest + (H::width_of(i) - 1) / 2);
        while (j < bounds_ns.size() && H::index_of(bounds_ns[j]) < i)
            ++j;
        if (j < bounds_ns.size())
            per_bound[j] += c;
    }
    std::uint64_t running = 0;
    for (std::size_t k = 0; k < per_bound.size(); ++k) {
        running += per_bound[k];
        out.buckets[k].cumulative = running;
    }
    out.sum_ns = sum > UINT64_MAX ? UINT64_MAX : static_cast<std::uint64_t>(sum);
    return out;
}

namespace {

// Label values escape backslash, double quote and line feed (the format's three escapes).
void append_label_value(std::string& out, std::string_view v) {
    out += '"';
    for (const char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    out += '"';
}

// Fixed-point raw values with 9 decimals: a count of nanoseconds is exactly its seconds, and
// Money is its currency units. The exact decimal text is a valid sample value.
void append_fixed(std::string& out, std::int64_t raw) {
    char buf[engine::kMaxDecimalChars];
    const int n = engine::format_decimal(raw, buf);
    out.append(buf, static_cast<std::size_t>(n));
}

void append_ns_as_seconds(std::string& out, std::uint64_t ns) {
    append_fixed(out, ns > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX
                                                                 : static_cast<std::int64_t>(ns));
}

class Writer {
  public:
    explicit Writer(std::string& out) : out_(out) {}

    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        out_ += help;
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }

    struct Label {
        std::string_view name;
        std::string_view value;
    };

    // name{labels} value
    void start(std::string_view name, std::initializer_list<Label> labels) {
        out_ += name;
        if (labels.size() != 0) {
            out_ += '{';
            bool first = true;
            for (const Label& l : labels) {
                if (!first)
                    out_ += ',';
                first = false;
                out_ += l.name;
                out_ += '=';
                append_label_value(out_, l.value);
            }
            out_ += '}';
        }
        out_ += ' ';
    }
    void sample(std::string_view name, std::initializer_list<Label> labels, std::uint64_t v) {
        start(name, labels);
        out_ += std::to_string(v);
        out_ += '\n';
    }
    void sample_fixed(std::string_view name, std::int64_t raw) {
        start(name, {});
        append_fixed(out_, raw);
        out_ += '\n';
    }

    // One counter or gauge family with a single unlabelled sample.
    void single(std::string_view name, std::string_view type, std::string_view help,
                std::uint64_t v) {
        family(name, type, help);
        sample(name, {}, v);
    }
    void money(std::string_view name, std::string_view help, engine::Money v) {
        family(name, "gauge", help);
        sample_fixed(name, v.raw);
    }
    void labelled(std::string_view name, std::string_view help, std::string_view label,
                  const std::vector<LabelledCount>& counts) {
        family(name, "counter", help);
        for (const LabelledCount& c : counts)
            sample(name, {{label, c.label}}, c.value);
    }
    template <class Get>
    void per_stage(std::string_view name, std::string_view type, std::string_view help,
                   const std::vector<StageSnapshot>& stages, Get get) {
        family(name, type, help);
        for (const StageSnapshot& s : stages)
            sample(name, {{"stage", s.stage}}, get(s));
    }

    void histogram(std::string_view name, std::string_view stage, const HistogramSnapshot& h) {
        const std::string bucket = std::string(name) + "_bucket";
        for (const HistogramSnapshot::Bucket& b : h.buckets) {
            std::string le;
            append_ns_as_seconds(le, b.le_ns);
            sample(bucket, {{"stage", stage}, {"le", le}}, b.cumulative);
        }
        sample(bucket, {{"stage", stage}, {"le", "+Inf"}}, h.count);
        start(std::string(name) + "_sum", {{"stage", stage}});
        append_ns_as_seconds(out_, h.sum_ns);
        out_ += '\n';
        sample(std::string(name) + "_count", {{"stage", stage}}, h.count);
    }

  private:
    std::string& out_;
};

// The notification outbox's families (a session with `notify` only).
void notify_families(Writer& w, const MetricsSnapshot& m) {
    w.labelled("keel_notify_deliveries_total",
               "Notification delivery attempts, by outcome (every target's).", "outcome",
               m.notify_deliveries);
    w.single("keel_notify_overflowed_total", "counter",
             "Notifications not queued because an outbox was full (summarised instead).",
             m.notify_overflowed);
    w.single("keel_notify_summaries_total", "counter",
             "Summaries of unsent notifications delivered.", m.notify_summaries);
    w.single("keel_notify_tap_dropped_total", "counter",
             "Events the notification tap's ring had no room for (the pipeline never waits).",
             m.notify_tap_dropped);
    w.single("keel_notify_queued", "gauge", "Notifications waiting in the outbox.",
             m.notify_queued);
    w.single("keel_notify_audits_dropped_total", "counter",
             "Delivery outcomes the input queue refused (not journaled).", m.notify_audits_dropped);
}

// The FIX venue adapters' families.
void fix_families(Writer& w, const MetricsSnapshot& m) {
    const std::pair<const char*, const char*> kinds[] = {
        {"keel_fix_messages_sent_total", "FIX application messages sent (orders, cancels, replaces, status requests)."},
        {"keel_fix_reports_total", "FIX execution reports and cancel rejects received."},
        {"keel_fix_duplicate_reports_total", "FIX reports dropped because their ExecID was seen before."},
        {"keel_fix_malformed_reports_total", "FIX reports that did not decode (logged once each, dropped)."},
        {"keel_fix_unknown_order_reports_total", "FIX reports about no order keel holds open."},
        {"keel_fix_refused_offline_total", "Orders refused because the FIX session was not ready."},
        {"keel_fix_stale_resends_total", "Resends older than max_resend_age_ms, gap-filled instead of sent."},
        {"keel_fix_resends_total", "Resends within max_resend_age_ms, sent again (PossDup)."},
        {"keel_fix_logons_total", "FIX logons (the first, and each reconnect)."},
        {"keel_fix_disconnects_total", "FIX logouts and dropped connections."},
        {"keel_fix_status_requests_total", "Order status requests sent by reconciliation."},
        {"keel_fix_resolved_orders_total", "Open orders reconciliation resolved after a logon."},
        {"keel_fix_foreign_orders_total", "Venue orders this journal never sent, found by mass status (trading refused)."},
        {"keel_fix_adopted_orders_total", "Venue orders this journal never sent, adopted (reconcile.adopt_unknown)."},
        {"keel_fix_sequence_gaps_total", "Resend requests sent: a venue message numbered past the next expected."},
        {"keel_fix_session_rejects_total", "Venue messages QuickFIX refused at the session level (Reject sent)."},
    };
    const std::uint64_t values[] = {m.fix_sent,          m.fix_reports,         m.fix_duplicates,
                                    m.fix_malformed,     m.fix_unknown_order,   m.fix_refused_offline,
                                    m.fix_stale_gap_filled, m.fix_resent,       m.fix_logons,
                                    m.fix_disconnects,   m.fix_status_requests, m.fix_resolved,
                                    m.fix_foreign_orders, m.fix_adopted, m.fix_sequence_gaps,
                                    m.fix_session_rejects};
    for (std::size_t i = 0; i < std::size(values); ++i)
        w.single(kinds[i].first, "counter", kinds[i].second, values[i]);
}

void feed_families(Writer& w, const MetricsSnapshot& m) {
    w.single("keel_feed_connected", "gauge", "1 while the market-data feed is connected.",
             m.feed_connected ? 1 : 0);
    w.single("keel_feed_messages_total", "counter", "Market-data messages received.",
             m.feed_messages);
    w.single("keel_feed_bad_messages_total", "counter",
             "Market-data messages refused as malformed.", m.feed_bad_messages);
    w.single("keel_feed_reconnects_total", "counter", "Market-data feed reconnections.",
             m.feed_reconnects);
    w.single("keel_feed_stale_symbols", "gauge", "Symbols whose market data is older than allowed.",
             m.feed_stale_symbols);
}

}  // namespace

std::string render_prometheus(const MetricsSnapshot& m) {
    std::string out;
    out.reserve(8192);
    Writer w(out);

    w.single("keel_last_seq", "gauge", "Sequence number of the last journaled input event.",
             m.last_seq);

    w.per_stage("keel_stage_events_in_total", "counter",
                "Events a stage saw: inputs sequenced and what earlier stages derived.", m.stages,
                [](const StageSnapshot& s) { return s.events_in; });
    w.per_stage("keel_stage_events_out_total", "counter",
                "Events a pipeline stage emitted (forwarded and derived).", m.stages,
                [](const StageSnapshot& s) { return s.events_out; });
    w.per_stage("keel_stage_ring_full_waits_total", "counter",
                "Times a stage found its output ring full and waited (back-pressure).", m.stages,
                [](const StageSnapshot& s) { return s.ring_full_waits; });
    w.per_stage("keel_stage_ring_depth", "gauge", "Events waiting on a stage's input ring.",
                m.stages, [](const StageSnapshot& s) { return s.ring_depth; });
    w.per_stage("keel_stage_ring_high_water", "gauge",
                "Deepest a stage's input ring has been, in events.", m.stages,
                [](const StageSnapshot& s) { return s.ring_high_water; });
    w.family("keel_stage_service_seconds", "histogram",
             "A stage's time per event (ingest: sequencing an input), sampled 1 in 128.");
    for (const StageSnapshot& s : m.stages)
        w.histogram("keel_stage_service_seconds", s.stage, s.service);

    w.single("keel_input_queue_depth", "gauge",
             "Input events adapters queued that ingest has not taken yet.", m.input_queue_depth);
    w.single("keel_input_queue_refused_total", "counter",
             "Input events refused because the input queue or its ticket pool was full.",
             m.input_queue_refused);

    w.single("keel_journal_appended_bytes_total", "counter",
             "Bytes appended to the journal's input stream.", m.journal_bytes);
    w.single("keel_journal_records_total", "counter",
             "Records appended to the journal's input stream.", m.journal_records);
    w.single("keel_journal_durable_lag_records", "gauge",
             "Input records appended but not yet durable.",
             m.journal_records > m.journal_durable_records
                 ? m.journal_records - m.journal_durable_records
                 : 0);

    w.labelled("keel_risk_rejects_total", "Orders the risk stage refused, by reason.", "reason",
               m.risk_rejects);
    w.labelled("keel_alerts_total", "Webhook alerts, by verdict.", "verdict", m.alerts);
    w.labelled("keel_webhook_requests_total", "Webhook requests answered, by code.", "code",
               m.webhook_requests);

    if (m.notify)
        notify_families(w, m);
    feed_families(w, m);

    if (m.venue_threaded) {
        w.single("keel_venue_requests_total", "counter",
                 "Orders and market events the gateway handed to the venue adapter's thread.",
                 m.venue_requests);
        w.single("keel_venue_requests_unhandled", "gauge",
                 "Requests handed to the venue adapter that it has not taken yet.",
                 m.venue_unhandled);
        w.single("keel_venue_wakes_total", "counter",
                 "Times the gateway woke the parked venue adapter (at most one per batch).",
                 m.venue_wakes);
        w.single("keel_venue_request_full_waits_total", "counter",
                 "Times the gateway found the venue adapter's request ring full and waited.",
                 m.venue_request_full_waits);
        w.single("keel_venue_reply_full_waits_total", "counter",
                 "Times the venue adapter found its reply queue full and waited.",
                 m.venue_reply_full_waits);
        w.single("keel_venue_awaiting", "gauge",
                 "Requests the venue adapter sent that the venue has not answered yet.",
                 m.venue_awaiting);
    }

    if (m.fix)
        fix_families(w, m);
    for (const MetricsSnapshot::NamedCount& c : m.venue_counts)
        w.single(c.name, "counter", c.help, c.value);

    w.money("keel_pnl_realized", "Realized P&L after fees, in account currency (display only).",
            m.realized);
    w.money("keel_pnl_unrealized", "Unrealized P&L at the last marks, in account currency.",
            m.unrealized);
    w.money("keel_equity", "Cash plus market value of positions, in account currency.", m.equity);
    w.money("keel_exposure_gross", "Sum of absolute position market values, in account currency.",
            m.gross_exposure);
    w.money("keel_exposure_net", "Sum of signed position market values, in account currency.",
            m.net_exposure);

    w.family("keel_api_requests_total", "counter", "Control API calls, by endpoint and code.");
    for (const MetricsSnapshot::ApiCount& c : m.api_requests)
        w.sample("keel_api_requests_total", {{"endpoint", c.endpoint}, {"code", c.code}}, c.value);
    w.single("keel_api_audits_dropped_total", "counter",
             "Control API audit events the input queue refused (full or closed).",
             m.api_audits_dropped);
    return out;
}

}  // namespace keel::adapters::control
