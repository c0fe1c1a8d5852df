#include "keel/replay/session/live_session.hpp"

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "keel/adapters/alpaca/alpaca_venue.hpp"
#include "keel/adapters/control/asio_scheduler.hpp"
#include "keel/adapters/control/prometheus.hpp"
#include "keel/adapters/fix/fix_venue.hpp"
#include "keel/adapters/input/clock_source.hpp"
#include "keel/adapters/input/live_input_queue.hpp"
#include "keel/adapters/notify/notify_outbox.hpp"
#include "keel/engine/orders/gateway_stage.hpp"
#include "keel/engine/pipeline/derived_event_tap.hpp"
#include "keel/replay/session/stop_notice.hpp"
#include "keel/replay/session/stop_policy.hpp"

namespace keel::replay {
namespace {

using adapters::control::StateView;

// Everything the live adapters share, alive from on_start to on_stopped.
struct Live {
    const engine::Config& config;
    const LiveConfig& live;
    adapters::LiveInputQueue queue;
    engine::SnapshotExchange snapshots;
    adapters::control::StatePublisher state;
    adapters::control::ReadinessBoard readiness;
    SessionView view;
    std::unique_ptr<adapters::feed::FeedClient> feed;
    std::unique_ptr<adapters::ClockSource> clock;  // live.time "wall" only
    std::unique_ptr<adapters::http::HttpServer> webhook_server;
    std::unique_ptr<adapters::webhook::WebhookReceiver> receiver;
    std::unique_ptr<adapters::http::HttpServer> control_server;
    std::unique_ptr<adapters::control::AsioScheduler> scheduler;
    std::unique_ptr<adapters::control::ControlApi> api;
    // Notifications (`notify`): the tap the last stage copies events into, and the outbox
    // thread that drains it.
    std::unique_ptr<engine::DerivedEventTap> notify_tap;
    std::unique_ptr<adapters::notify::NotifyOutbox> outbox;
    bool stop_announced = false;  // the "session stopped" message (announce_stop)
    // The monitor: the last engine snapshot (for /metrics) and its thread.
    std::mutex latest_mutex;
    std::optional<engine::StateSnapshot> latest;
    std::mutex stop_mutex;
    std::condition_variable stop_cv;
    bool stopping = false;
    std::thread monitor;
    // The stop policy (config `shutdown`) or notifications: with either, a signal sets
    // signal_stop, the monitor carries the policy out and announces the stop, and only then sets
    // pipeline_stop; without, they are one flag.
    const std::atomic<bool>& signal_stop;
    std::atomic<bool>& pipeline_stop;
    bool stop_policy_due;
    StopOutcome stop_outcome;  // written by the monitor; read after it is joined

    Live(const engine::Config& c, const LiveConfig& l, const std::atomic<bool>& signalled,
         std::atomic<bool>& pipeline)
        : config(c),
          live(l),
          snapshots(c.symbol_capacity, engine::GatewayStage::kDefaultOrderCapacity,
                    c.accounts.size()),
          signal_stop(signalled),
          pipeline_stop(pipeline),
          stop_policy_due(c.shutdown.any() || l.notify.has_value()) {}
};

engine::Event symbol_def(const engine::Config& config, engine::SymbolId id, std::string_view name) {
    engine::Event e =
        engine::make_event(engine::EventType::symbol_def, engine::Source::feed, 0, 0, id);
    std::memcpy(e.payload.symbol_def.name, name.data(),
                std::min(name.size(), sizeof e.payload.symbol_def.name - 1));
    if (const engine::SymbolConfig* s = engine::find_symbol(config, name))
        e.payload.symbol_def.tick_size = s->tick_size;
    return e;
}

// One account's part of a snapshot: its risk mode and limits, positions, orders and money.
void account_view(StateView& v, const engine::StateSnapshot& s, const engine::SymbolTable& symbols) {
    v.risk_flags = s.risk_flags;
    v.limits = s.limits;
    for (engine::SymbolId id = 0; id < symbols.size() && id < s.positions.size(); ++id) {
        const engine::PositionState& p = s.positions[id];
        if (p.quantity_raw == 0 && p.realized.raw == 0 && p.fills == 0)
            continue;
        v.positions.push_back({std::string(symbols.name(id)),
                               engine::Quantity::from_raw(p.quantity_raw), p.average_price,
                               p.realized, p.unrealized()});
    }
    for (const engine::OrderRecord& o : s.open_orders) {
        v.orders.push_back({o.order_id,
                            o.symbol < symbols.size() ? std::string(symbols.name(o.symbol)) : "",
                            o.side, o.type, o.price, o.stop_price, o.quantity, o.filled, o.status});
    }
    v.account = {s.starting_cash, s.cash, s.equity,      s.realized,
                 s.unrealized,    s.fees, s.max_drawdown};
    v.account.broker = s.broker_seen;
    v.account.broker_cash = s.broker_cash;
    v.account.broker_buying_power = s.broker_buying_power;
    v.account.broker_equity = s.broker_equity;
}

adapters::control::ControlApiOptions api_options(const ControlConfig& c,
                                                 const engine::Config& config) {
    adapters::control::ControlApiOptions options = c.api;
    for (const engine::AccountConfig& a : config.accounts)
        options.accounts.push_back(a.name);
    return options;
}

StateView state_view(const Live& l, const engine::StateSnapshot& s, const engine::Runner& runner) {
    StateView v;
    v.session = l.config.session_name;
    v.state = adapters::control::RunState::running;
    v.last_seq = s.last_seq;
    v.events = runner.metrics(0).events_in.get();
    v.restricted_symbols = l.config.restricted_symbols;
    const engine::SymbolTable& symbols = *l.view.symbols;
    if (s.accounts.empty()) {
        account_view(v, s, symbols);
        return v;
    }
    // Several accounts: each apart, and together (money summed, risk flags or-ed; the limits
    // shown at the top are account 0's, each account's are in its entry).
    v.limits = s.limits;
    for (std::size_t k = 0; k < s.accounts.size() && k < l.config.accounts.size(); ++k) {
        StateView a;
        a.account_name = l.config.accounts[k].name;
        account_view(a, s.accounts[k], symbols);
        v.risk_flags |= a.risk_flags;
        engine::Money* const total[] = {&v.account.starting_cash, &v.account.cash,
                                        &v.account.equity,        &v.account.realized,
                                        &v.account.unrealized,    &v.account.fees};
        const engine::Money part[] = {a.account.starting_cash, a.account.cash,
                                      a.account.equity,        a.account.realized,
                                      a.account.unrealized,    a.account.fees};
        for (std::size_t i = 0; i < std::size(part); ++i)
            total[i]->raw += part[i].raw;
        v.account.max_drawdown = std::max(v.account.max_drawdown, a.account.max_drawdown);
        v.accounts.push_back(std::move(a));
    }
    return v;
}

void notify_metrics(adapters::control::MetricsSnapshot& m,
                    const adapters::notify::NotifyCounters& c, const engine::DerivedEventTap& tap) {
    auto get = [](const std::atomic<std::uint64_t>& a) {
        return a.load(std::memory_order_relaxed);
    };
    m.notify = true;
    m.notify_deliveries = {{"delivered", get(c.delivered)},
                           {"rate_limited", get(c.rate_limited)},
                           {"failed", get(c.failed)},
                           {"given_up", get(c.given_up)}};
    m.notify_overflowed = get(c.overflowed);
    m.notify_summaries = get(c.summaries);
    m.notify_tap_dropped = tap.dropped_total();
    m.notify_queued = get(c.queued);
    m.notify_audits_dropped = get(c.audits_dropped);
}

// The FIX sessions' counters, summed over the accounts that have one.
void fix_metrics(const SessionView& view, adapters::control::MetricsSnapshot& m) {
    for (const adapters::fix::FixVenueCounters* f : view.fix_venues) {
        const auto get = [](const std::atomic<std::uint64_t>& a) {
            return a.load(std::memory_order_relaxed);
        };
        m.fix = true;
        m.fix_sent += get(f->sent);
        m.fix_reports += get(f->reports);
        m.fix_duplicates += get(f->duplicates);
        m.fix_malformed += get(f->malformed);
        m.fix_unknown_order += get(f->unknown_order);
        m.fix_refused_offline += get(f->refused_offline);
        m.fix_stale_gap_filled += get(f->stale_gap_filled);
        m.fix_resent += get(f->resent);
        m.fix_logons += get(f->logons);
        m.fix_disconnects += get(f->disconnects);
        m.fix_status_requests += get(f->status_requests);
        m.fix_resolved += get(f->resolved);
        m.fix_foreign_orders += get(f->foreign_orders);
        m.fix_adopted += get(f->adopted);
        m.fix_sequence_gaps += get(f->sequence_gaps);
        m.fix_session_rejects += get(f->session_rejects);
    }
}

// The Alpaca adapters' counters, summed over the accounts that have one.
void alpaca_metrics(const SessionView& view, adapters::control::MetricsSnapshot& m) {
    if (view.alpaca_venues.empty())
        return;
    for (const adapters::alpaca::AlpacaCounterInfo& c : adapters::alpaca::alpaca_counter_info()) {
        std::uint64_t total = 0;
        for (const adapters::alpaca::AlpacaVenueCounters* v : view.alpaca_venues)
            total += (v->*c.member).load(std::memory_order_relaxed);
        m.venue_counts.push_back({c.name, c.help, total});
    }
}

adapters::control::MetricsSnapshot metrics(Live& l) {
    adapters::control::MetricsSnapshot m;
    const engine::Runner& runner = *l.view.runner;
    for (std::size_t i = 0; i < runner.stage_count(); ++i) {
        const engine::StageMetrics& sm = runner.metrics(i);
        adapters::control::StageSnapshot st;
        st.stage = std::string(runner.stage_name(i));
        st.events_in = sm.events_in.get();
        st.events_out = sm.events_out.get();
        st.ring_full_waits = sm.ring_full_waits.get();
        st.ring_depth = runner.ring_depth(i);
        st.ring_high_water = sm.ring_high_water.get();
        st.service = adapters::control::snapshot_histogram(sm.service_ns);
        m.stages.push_back(std::move(st));
    }
    m.input_queue_depth = l.queue.depth();
    m.input_queue_refused = l.queue.refused_full();
    if (!l.view.writers.empty()) {
        const journal::StreamWriter& w = *l.view.writers.front();
        m.journal_bytes = w.appended_bytes_relaxed();
        m.journal_records = w.appended_records_relaxed();
        m.journal_durable_records = w.durable_records();
    }
    // Every threaded venue's seam, summed (several accounts may each have one).
    for (const engine::VenueChannel* v : l.view.venues) {
        m.venue_threaded = true;
        m.venue_requests += v->requests_pushed();
        m.venue_awaiting += v->awaiting();
        m.venue_unhandled += v->unhandled();
        m.venue_wakes += v->wakes();
        m.venue_request_full_waits += v->request_full_waits();
        m.venue_reply_full_waits += v->reply_full_waits();
    }
    fix_metrics(l.view, m);
    alpaca_metrics(l.view, m);
    if (l.receiver) {
        const adapters::webhook::WebhookCounters& c = l.receiver->counters();
        m.alerts.push_back({"accepted", c.accepted.load(std::memory_order_relaxed)});
        m.alerts.push_back({"duplicate", c.duplicate.load(std::memory_order_relaxed)});
        std::uint64_t refused = 0;
        for (std::size_t k = 0; k < adapters::webhook::kApiCodeSlots; ++k) {
            const std::uint64_t n = c.refused[k].load(std::memory_order_relaxed);
            refused += n;
            if (n > 0) {
                m.webhook_requests.push_back(
                    {std::string(engine::to_string(static_cast<engine::ApiCode>(k))), n});
            }
        }
        m.alerts.push_back({"refused", refused});
    }
    if (l.outbox)
        notify_metrics(m, l.outbox->counters(), *l.notify_tap);
    if (l.feed) {
        const adapters::feed::FeedCounters& c = l.feed->counters();
        m.feed_connected = c.connected.load(std::memory_order_relaxed);
        m.feed_messages = c.messages.load(std::memory_order_relaxed);
        m.feed_bad_messages = c.malformed.load(std::memory_order_relaxed);
        m.feed_reconnects = c.reconnects.load(std::memory_order_relaxed);
        m.feed_stale_symbols = c.stale_count();
    }
    std::lock_guard<std::mutex> lock(l.latest_mutex);
    if (l.latest) {
        const engine::StateSnapshot& s = *l.latest;
        m.last_seq = s.last_seq;
        // Every account's together (several accounts: the top-level fields are account 0's).
        std::vector<const engine::StateSnapshot*> parts;
        for (const engine::StateSnapshot& a : s.accounts)
            parts.push_back(&a);
        if (parts.empty())
            parts.push_back(&s);
        for (std::size_t r = 0; r < s.rejects_by_reason.size(); ++r) {
            std::uint64_t n = 0;
            for (const engine::StateSnapshot* a : parts)
                n += a->rejects_by_reason[r];
            if (n > 0) {
                m.risk_rejects.push_back(
                    {std::string(engine::to_string(static_cast<engine::Reason>(r))), n});
            }
        }
        for (const engine::StateSnapshot* a : parts) {
            m.realized.raw += a->realized.raw;
            m.unrealized.raw += a->unrealized.raw;
            m.equity.raw += a->equity.raw;
            m.gross_exposure.raw += a->gross_exposure.raw;
            m.net_exposure.raw += a->net_exposure.raw;
        }
    }
    return m;
}

void log_line(std::string_view line) {
    std::cerr << "keel: " << line << "\n";
}

// The adapters whose inputs could open a position again (market data a strategy trades on,
// alerts); the control API stays up for the operator until the drain.
void stop_trading_inputs(Live& l) {
    if (l.feed)
        l.feed->stop();
    if (l.webhook_server)
        l.webhook_server->stop();
}

void report_stop_policy(const engine::ShutdownPolicy& policy, const StopOutcome& o) {
    std::string line = "shutdown (" + describe(policy) + "): ";
    if (o.complete) {
        line += "done in " + std::to_string(o.elapsed_ms) + " ms";
        if (!o.unkilled)
            line += "; the kill it set stays (it could not be lifted)";
        log_line(line);
        return;
    }
    line += "NOT complete by its deadline (" + std::to_string(policy.deadline_ms) +
            " ms); the kill stays, so a restart comes up killed:";
    for (const std::string& u : o.unfinished)
        line += "\n  " + u;
    log_line(line);
}

// The "session stopped" message, once: before pipeline_stop is set, so that its delivery's audit
// is journaled like any other (announce waits at most the outbox's stop_bound()).
void announce_stop(Live& l, std::string why, adapters::notify::NotifyLevel level) {
    // A zero bound: no target wants session messages.
    if (!l.outbox || l.stop_announced || l.outbox->stop_bound().count() == 0)
        return;
    l.stop_announced = true;
    std::optional<engine::StateSnapshot> s;
    if (!l.pipeline_stop.load(std::memory_order_relaxed))
        s = l.snapshots.take(std::chrono::seconds(1));
    if (!s) {
        std::lock_guard<std::mutex> lock(l.latest_mutex);
        s = l.latest;
    }
    const adapters::notify::NotifyNames names{l.config.session_name, nullptr, {}};
    const std::chrono::milliseconds bound = l.outbox->stop_bound();
    if (!l.outbox->announce(describe_stop(session_stop_facts(std::move(why), level, s), names),
                            bound))
        log_line("notify: the session-stop message was not delivered to every target within " +
                 std::to_string(bound.count()) + " ms; stopping anyway");
    // Ingest stops at the flag without draining its queue: the message's audits are taken from
    // it first (bounded, as the stop policy waits for its own commands).
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (!l.pipeline_stop.load(std::memory_order_relaxed) && l.queue.depth() > 0 &&
           std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void run_configured_stop_policy(Live& l) {
    std::vector<std::string> accounts;
    for (const engine::AccountConfig& a : l.config.accounts)
        accounts.push_back(a.name);
    log_line("shutdown (" + describe(l.config.shutdown) + "): up to " +
             std::to_string(l.config.shutdown.deadline_ms) + " ms before the drain");
    l.stop_outcome = run_stop_policy(
        l.config.shutdown,
        StopPolicyDeps{l.queue, l.snapshots, *l.view.symbols, std::move(accounts),
                       [&l] { stop_trading_inputs(l); }, [&l] { return l.queue.depth() == 0; },
                       [&l] { return l.pipeline_stop.load(std::memory_order_relaxed); }});
    report_stop_policy(l.config.shutdown, l.stop_outcome);
}

// On the monitor thread, when a signal asked the session to stop: the policy, the stop message,
// then the drain.
void carry_out_stop_policy(Live& l) {
    l.stop_policy_due = false;
    if (l.config.shutdown.any())
        run_configured_stop_policy(l);
    announce_stop(l, "stop signal (SIGINT or SIGTERM)", adapters::notify::NotifyLevel::warning);
    l.pipeline_stop.store(true, std::memory_order_relaxed);
}

void monitor_loop(Live& l) {
    for (;;) {
        if (l.stop_policy_due && l.signal_stop.load(std::memory_order_relaxed))
            carry_out_stop_policy(l);
        if (std::optional<engine::StateSnapshot> s = l.snapshots.take(std::chrono::seconds(1))) {
            l.state.publish(state_view(l, *s, *l.view.runner));
            std::lock_guard<std::mutex> lock(l.latest_mutex);
            l.latest = std::move(s);
        }
        if (l.feed) {
            const adapters::feed::FeedCounters& c = l.feed->counters();
            l.readiness.set_feed_connected(c.connected.load(std::memory_order_relaxed));
            l.readiness.set_stale_symbols(c.stale_count());
        }
        std::unique_lock<std::mutex> lock(l.stop_mutex);
        if (l.stop_cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return l.stopping; }))
            return;
    }
}

// Wall time: the clock thread that moves engine time when nothing else arrives.
void start_clock(Live& l) {
    if (!l.live.wall_time()) {
        log_line("time: the data's (live.time data)");
        return;
    }
    l.clock = std::make_unique<adapters::ClockSource>(
        l.queue, std::chrono::milliseconds(l.live.clock_tick_ms));
    l.clock->start();
    log_line("time: wall clock (a clock tick every " + std::to_string(l.live.clock_tick_ms) +
             " ms when no other input arrives)");
}

// The tickers alerts may name each symbol by (its name and aliases) and its exchange.
void route_symbols(adapters::webhook::WebhookOptions& o, const engine::SymbolTable& symbols,
                   const engine::Config& config) {
    for (engine::SymbolId id = 0; id < symbols.size(); ++id)
        o.symbols.emplace_back(std::string(symbols.name(id)), id);
    o.exchanges.assign(symbols.size(), std::string{});
    for (const engine::SymbolConfig& s : config.symbols) {
        const auto id = symbols.find(s.name);
        if (!id)
            continue;
        o.exchanges[*id] = s.exchange;
        for (const std::string& alias : s.aliases)
            o.symbols.emplace_back(alias, *id);
    }
}

// The alert keys a continued journal holds, each with its own window: an id's, or a body's (an
// alert with no id), so a restart keeps deduplicating as before it.
void seed_alert_keys(adapters::webhook::WebhookReceiver& receiver, const JournaledInputs& inputs) {
    using adapters::webhook::WebhookReceiver;
    std::vector<WebhookReceiver::SeenKey> keys;
    const auto& events = inputs.events();
    for (std::size_t i = 0; i < events.size(); ++i) {
        const engine::Event& e = events[i];
        if (e.header.type == engine::EventType::alert && e.payload.alert.alert_key != 0)
            keys.push_back({e.payload.alert.alert_key,
                            std::int64_t{e.payload.alert.received_s} * 1'000'000'000,
                            WebhookReceiver::keyed_by_body(e.payload.alert.alert_key,
                                                           inputs.tail_of(i))});
    }
    receiver.seed_keys(keys);
}

// The outbox, before any adapter thread (the control API's metrics read its counters): it
// re-queues what a continued journal's targets were not yet told, then starts its thread.
void start_notify(Live& l, const SessionView& view) {
    adapters::notify::NotifyNames names{l.config.session_name, view.symbols, {}};
    for (const engine::AccountConfig& a : l.config.accounts)
        names.accounts.push_back(a.name);
    l.outbox = std::make_unique<adapters::notify::NotifyOutbox>(
        *l.live.notify, adapters::notify::NotifyDeps{
                            *l.notify_tap, l.queue, std::move(names), &l.pipeline_stop, {}});
    std::size_t requeued = 0;
    if (view.continued != nullptr)
        requeued = l.outbox->recover(view.continued->events());
    l.outbox->start();
    log_line("notify: " + std::to_string(l.live.notify->targets.size()) + " target(s)" +
             (view.continued != nullptr
                  ? ", " + std::to_string(requeued) + " notification(s) not yet delivered re-queued"
                  : std::string()));
}

bool start(Live& l, const SessionView& view, std::string& error) {
    l.view = view;
    if (!view.writers.empty())
        l.queue.set_durable_watermark(&view.writers.front()->durable_seq_watermark());
    const engine::SymbolTable& symbols = *view.symbols;
    if (view.continued == nullptr) {
        std::vector<engine::Event> defs;
        for (engine::SymbolId id = 0; id < symbols.size(); ++id)
            defs.push_back(symbol_def(l.config, id, symbols.name(id)));
        l.queue.set_prelude(std::move(defs));
    }
    // The feed's own in-process venue is always connected; a journal was opened (and any
    // restart recovered) before on_start.
    l.readiness.set_journal_recovered(true);
    l.readiness.set_venue_connected(true);
    l.readiness.set_feed_connected(!l.live.feed.has_value());
    if (l.live.notify)
        start_notify(l, view);
    // Every adapter object exists before any of their threads starts: the control API's
    // metrics read the feed's and the receiver's counters from its own thread.
    if (l.live.feed) {
        adapters::feed::FeedClientOptions f = *l.live.feed;
        f.wall_time = l.live.wall_time();
        f.bands.assign(symbols.size(), adapters::BandLimits{});
        for (const engine::SymbolConfig& s : l.config.symbols) {
            if (const auto id = symbols.find(s.name))
                f.bands[*id] = adapters::BandLimits{s.min_price, s.max_price, s.max_jump_pct};
        }
        l.feed = std::make_unique<adapters::feed::FeedClient>(std::move(f), symbols, l.queue);
        // A restart: the band continues from the last prices the journal accepted, so the
        // first tick after it is held to them (unseeded, any price would be accepted).
        if (view.continued != nullptr) {
            for (const engine::Event& e : view.continued->events())
                l.feed->seed_band(e);
        }
    }
    if (l.live.webhook) {
        WebhookConfig w = *l.live.webhook;
        route_symbols(w.receiver, symbols, l.config);
        // The server's own refusals (413, 431, ...) are audited by the receiver, which exists
        // before the server starts its threads.
        w.server.on_refused = [&l](const adapters::http::Refusal& r) {
            l.receiver->audit_server_refusal(r);
        };
        l.webhook_server = std::make_unique<adapters::http::HttpServer>(
            w.server, [&l](adapters::http::HttpRequest&& req, adapters::http::Respond respond) {
                l.receiver->handle(std::move(req), std::move(respond));
            });
        try {
            l.receiver = std::make_unique<adapters::webhook::WebhookReceiver>(
                w.receiver, l.queue, l.webhook_server->executor());
        } catch (const std::exception& e) {
            error = std::string("webhook: ") + e.what();
            return false;
        }
        if (view.continued != nullptr)
            seed_alert_keys(*l.receiver, *view.continued);
        const adapters::http::StartResult r = l.webhook_server->start();
        if (!r.ok()) {
            error = "webhook: " + r.message;
            return false;
        }
        log_line("webhook listening on http://" + w.server.host + ":" +
                 std::to_string(l.webhook_server->bound_port()) + w.receiver.path);
    }
    if (l.live.control) {
        const ControlConfig& c = *l.live.control;
        l.control_server = std::make_unique<adapters::http::HttpServer>(
            c.server, [&l](adapters::http::HttpRequest&& req, adapters::http::Respond respond) {
                l.api->handle(std::move(req), std::move(respond));
            });
        l.scheduler =
            std::make_unique<adapters::control::AsioScheduler>(l.control_server->executor());
        try {
            l.api = std::make_unique<adapters::control::ControlApi>(
                adapters::control::ControlApiDeps{l.queue, *l.scheduler, l.state, l.readiness,
                                                  [&l] { return metrics(l); }},
                api_options(c, l.config));
        } catch (const std::exception& e) {
            error = std::string("control: ") + e.what();
            return false;
        }
        const adapters::http::StartResult r = l.control_server->start();
        if (!r.ok()) {
            error = "control: " + r.message;
            return false;
        }
        log_line("control API listening on http://" + c.server.host + ":" +
                 std::to_string(l.control_server->bound_port()));
    }
    if (l.live.feed) {
        l.feed->start();
        log_line("feed: connecting to " + l.live.feed->host + ":" +
                 std::to_string(l.live.feed->port));
    }
    start_clock(l);
    l.monitor = std::thread([&l] { monitor_loop(l); });
    return true;
}

// why: for the "session stopped" message when the monitor did not send it (no signal).
void stop_adapters(Live& l, std::string_view why) {
    // The pipeline has stopped: whatever is still queued will never be journaled, so its
    // senders are told (503) rather than left waiting.
    l.queue.abandon();
    {
        std::lock_guard<std::mutex> lock(l.stop_mutex);
        l.stopping = true;
    }
    l.stop_cv.notify_all();
    if (l.monitor.joinable())
        l.monitor.join();
    if (l.clock)
        l.clock->stop();
    if (l.feed)
        l.feed->stop();
    if (l.webhook_server)
        l.webhook_server->stop();
    if (l.control_server)
        l.control_server->stop();
    if (l.outbox) {
        // The queue is abandoned: this message's audit cannot be journaled any more.
        announce_stop(l, std::string(why), adapters::notify::NotifyLevel::critical);
        l.outbox->stop();
    }
}

}  // namespace

std::optional<SessionReport> run_live_session(const engine::Config& config, const LiveConfig& live,
                                              std::atomic<bool>& stop, const SessionOptions& base,
                                              std::string& error) {
    // With a stop policy or notifications the pipeline stops on its own flag, which the monitor
    // sets once the policy is done and the stop message is sent (or when the journal fails, as
    // `stop` would be).
    std::atomic<bool> pipeline_stop{false};
    std::atomic<bool>& run_stop = config.shutdown.any() || live.notify ? pipeline_stop : stop;
    auto l = std::make_unique<Live>(config, live, stop, run_stop);
    SessionOptions options = base;
    options.snapshots = &l->snapshots;
    if (!options.venue_log)
        options.venue_log = [](std::string_view line) { log_line(line); };
    // Notifications: the last stage copies what they need into the tap's ring (never waiting);
    // a tap the caller gave is offered them next. No notify section: no tap, no cost.
    if (live.notify) {
        l->notify_tap = std::make_unique<engine::DerivedEventTap>(
            live.notify->tap_capacity, adapters::notify::notify_event_types(), base.derived_tap);
        options.derived_tap = l->notify_tap.get();
    }
    // Wall time: what the adapters queue is stamped with the wall clock, and the session
    // starts at the wall clock's now (a continued journal keeps its own start).
    if (live.wall_time()) {
        l->queue.set_wall_clock(true);
        options.wall_time = true;
        options.start_ts_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
    }
    options.input = LiveInput{[&config, &l](engine::SymbolTable& symbols,
                                            std::string& why) -> engine::InputSource* {
        // The configured symbols, then any a strategy names that the symbols section does
        // not, get their ids in that order.
        auto intern = [&](const std::string& name) {
            if (symbols.find(name) || symbols.intern(name))
                return true;
            why = "too many symbols for session.symbol_capacity " +
                  std::to_string(config.symbol_capacity);
            return false;
        };
        for (const engine::SymbolConfig& s : config.symbols) {
            if (!intern(s.name))
                return nullptr;
        }
        for (const engine::StrategyConfig& s : config.strategies) {
            for (const std::string& name : s.symbols) {
                if (!intern(name))
                    return nullptr;
            }
        }
        if (symbols.size() == 0) {
            why = "a live session needs symbols (the symbols section or a strategy's)";
            return nullptr;
        }
        return &l->queue;
    }};
    bool started = false;
    options.on_start = [&](const SessionView& view, std::string& why) {
        started = true;
        if (!start(*l, view, why)) {
            stop_adapters(*l, "start-up failed");
            return false;
        }
        return true;
    };
    // Stopped with no signal: the journal failed (JournalLog is the only other setter).
    options.on_stopped = [&] {
        stop_adapters(*l, "the pipeline stopped itself: journal write failed");
    };
    std::optional<SessionReport> report = run_session(config, run_stop, options, error);
    if (!started)
        l->queue.abandon();
    if (report && l->stop_outcome.ran) {
        report->shutdown_policy = describe(config.shutdown);
        report->shutdown_complete = l->stop_outcome.complete;
        report->shutdown_ms = l->stop_outcome.elapsed_ms;
        report->shutdown_unfinished = l->stop_outcome.unfinished;
    }
    return report;
}

}  // namespace keel::replay
