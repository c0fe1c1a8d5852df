// AlpacaVenue's requests: recording keel's orders, the request queue in priority order
// through the rate limiter, and each order request's answer (alpaca_venue.hpp: never twice).
#include "keel/adapters/alpaca/alpaca_venue.hpp"

#include <algorithm>

#include <boost/asio/io_context.hpp>

#include "keel/adapters/http/https_client.hpp"
#include "keel/adapters/http/websocket_client.hpp"
#include "keel/adapters/venue/venue_reply.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/orders/venue_id.hpp"

#include "alpaca_venue_detail.hpp"

namespace keel::adapters::alpaca {

using detail::kLaneOrders;
using detail::kLaneQueries;
using Clock = std::chrono::steady_clock;
using Response = http::HttpsClient::Response;

namespace {

using C = AlpacaVenueCounters;
constexpr AlpacaCounterInfo kCounters[] = {
    {"keel_alpaca_requests_total", "Alpaca REST requests sent.", &C::requests},
    {"keel_alpaca_in_doubt_total",
     "Order requests without a plain answer (timeout, 429, 5xx): looked up, never resent blindly.",
     &C::in_doubt},
    {"keel_alpaca_lookups_total", "GET /v2/orders:by_client_order_id requests sent.", &C::lookups},
    {"keel_alpaca_reposted_total",
     "In-doubt orders Alpaca did not have, sent again with the same client_order_id.", &C::reposted},
    {"keel_alpaca_rate_limited_total", "Answers 429 (too many requests).", &C::rate_limited},
    {"keel_alpaca_expired_orders_total",
     "New orders refused: held by the rate limit past max_order_age_ms.", &C::expired},
    {"keel_alpaca_events_total", "trade_updates events received.", &C::events},
    {"keel_alpaca_duplicate_events_total", "Fill events dropped: execution_id seen before.",
     &C::duplicates},
    {"keel_alpaca_malformed_total", "Answers and events that did not decode (logged, dropped).",
     &C::malformed},
    {"keel_alpaca_unknown_order_events_total", "Events about no order keel holds open.",
     &C::unknown_order},
    {"keel_alpaca_refused_offline_total", "Orders refused because the venue was not ready.",
     &C::refused_offline},
    {"keel_alpaca_stream_connects_total", "trade_updates streams opened and listening.",
     &C::stream_connects},
    {"keel_alpaca_disconnects_total", "trade_updates streams dropped while up.", &C::disconnects},
    {"keel_alpaca_resolved_orders_total", "Open orders reconciliation resolved.", &C::resolved},
    {"keel_alpaca_foreign_orders_total",
     "Open orders at Alpaca this journal never sent (trading refused).", &C::foreign_orders},
    {"keel_alpaca_adopted_orders_total",
     "Open orders at Alpaca this journal never sent, adopted (reconcile.adopt_unknown).",
     &C::adopted},
    {"keel_alpaca_position_mismatches_total",
     "Positions at Alpaca other than the journal's (trading refused until acknowledged).",
     &C::position_mismatches},
    {"keel_alpaca_account_updates_total", "Account figures journaled (venue_account).",
     &C::account_updates},
};

}  // namespace

std::span<const AlpacaCounterInfo> alpaca_counter_info() noexcept { return kCounters; }

AlpacaVenue::AlpacaVenue(AlpacaVenueOptions options, TailReplySink& replies, Log log)
    : options_(std::move(options)),
      replies_(replies),
      log_(std::move(log)),
      limiter_(options_.config.rate_limit_per_min),
      book_(options_.order_capacity) {}

AlpacaVenue::~AlpacaVenue() { on_thread_stop(); }

std::string AlpacaVenue::symbol_of(engine::SymbolId id) const {
    return symbol_name(options_.symbols, id);
}

void AlpacaVenue::log(const std::string& what) {
    if (log_)
        log_("alpaca: " + what);
}

// --- keel's requests (adapter thread) ---

void AlpacaVenue::submit(const engine::Event& e) noexcept {
    if (e.header.type != engine::EventType::order_sent)
        return;
    const engine::OrderPayload& o = e.payload.order;
    if (!started_) {
        // A restart re-running the journal: what was sent is recorded, never sent again (a
        // cancel-all as the cancels it sent, so later requests are named as they were).
        if (engine::is_mass_cancel_id(o.order_id) && o.action == engine::OrderAction::cancel)
            return cancel_all(e);
        if (o.action == engine::OrderAction::new_order ||
            (!engine::is_mass_cancel_id(o.order_id) && ids_.count(o.order_id) > 0 &&
             book_.find(o.order_id) != nullptr))
            (void)record(e);
        (void)book_.apply(e);
        return;
    }
    if (o.action == engine::OrderAction::new_order)
        send_new(e);
    else if (engine::is_mass_cancel_id(o.order_id))
        cancel_all(e);
    else
        send_cancel_or_replace(e);
    (void)pump();
    // The request's bytes leave now (a crash right after this call finds them sent).
    if (io_)
        (void)run_io();
}

// The client_order_id of a request: a new order's venue id; a replace's <venue id>-<n>
// (pending until answered); a cancel has none of its own (DELETE names Alpaca's id) but is
// counted, so a continued session names its replaces as the first did.
std::string AlpacaVenue::record(const engine::Event& e) {
    const engine::OrderPayload& o = e.payload.order;
    Ids& ids = ids_[o.order_id];
    std::string id;
    const std::string base(engine::make_venue_id(options_.venue_id_prefix, o.order_id).view());
    if (o.action == engine::OrderAction::new_order) {
        id = base;
        ids.current = id;
    } else {
        id = base + "-" + std::to_string(++ids.requests);
        if (o.action == engine::OrderAction::replace) {
            ids.pending = id;
            ids.replace = e;
        }
    }
    by_client_id_[id] = o.order_id;
    return id;
}

void AlpacaVenue::refuse(const engine::Event& request, engine::Reason reason,
                         std::string_view text) {
    engine::Event r = request;
    r.header.type = engine::EventType::venue_reject;
    r.header.source = engine::Source::venue;
    r.header.seq = 0;
    r.header.ts_ns = wall_clock_ns();
    r.payload.order.status = engine::OrderStatus::rejected;
    r.payload.order.reason = reason;
    const std::string tail = detail::tail_line("text", text);
    apply(r, tail);
    replies_.post(r, tail);
}

void AlpacaVenue::send_new(const engine::Event& e) {
    const std::string id = record(e);
    (void)book_.apply(e);
    if (link_ != Link::ready) {
        counters_.refused_offline.fetch_add(1, std::memory_order_relaxed);
        return refuse(e, engine::Reason::venue_disconnected,
                      link_ == Link::refused ? "the Alpaca venue is refused (see the log)"
                                             : "the Alpaca connection is not ready");
    }
    const Body body = encode_new_order(e.payload.order, id, symbol_of(e.header.symbol));
    if (!body.ok())
        return refuse(e, body.refused, body.why);
    Request r;
    r.job = Job::post;
    r.order_id = e.payload.order.order_id;
    r.queued = Clock::now();
    enqueue(std::move(r));
}

void AlpacaVenue::send_cancel_or_replace(const engine::Event& e) {
    const engine::OrderPayload& o = e.payload.order;
    if (ids_.count(o.order_id) == 0 || book_.find(o.order_id) == nullptr)
        return refuse(e, engine::Reason::unknown_order, "no open order with this id");
    (void)record(e);
    (void)book_.apply(e);
    const bool replace = o.action == engine::OrderAction::replace;
    if (link_ == Link::down || link_ == Link::connecting || (replace && link_ != Link::ready)) {
        counters_.refused_offline.fetch_add(1, std::memory_order_relaxed);
        return refuse(e, engine::Reason::venue_disconnected, "the Alpaca connection is not ready");
    }
    Request r;
    r.job = replace ? Job::patch : Job::cancel;
    r.order_id = o.order_id;
    r.queued = Clock::now();
    enqueue(std::move(r));
}

void AlpacaVenue::cancel_all(const engine::Event& e) {
    std::vector<engine::OrderRecord> open = book_.open_orders();
    for (const engine::OrderRecord& r : open) {
        if (r.status == engine::OrderStatus::pending_cancel)
            continue;
        engine::Event c = engine::cancel_request(r, e, engine::Source::gateway,
                                                 engine::Reason::kill_switch_cancel);
        c.header.type = engine::EventType::order_sent;
        if (started_) {
            send_cancel_or_replace(c);
        } else {
            (void)record(c);
            (void)book_.apply(c);
        }
    }
}

// --- the queue ---

void AlpacaVenue::enqueue(Request r) {
    if (r.queued == Clock::time_point{})
        r.queued = Clock::now();
    queue_.push_back(std::move(r));
}

// Sends what the lanes, the limiter and each request's own time allow, most urgent first:
// cancels, then order requests, lookups, lists, the account. True when one went out.
bool AlpacaVenue::pump() {
    if (!rest_)
        return false;
    bool sent = false;
    const Clock::time_point now = Clock::now();
    for (const std::size_t lane : {kLaneOrders, kLaneQueries}) {
        while (!lane_busy_[lane]) {
            auto best = queue_.end();
            for (auto it = queue_.begin(); it != queue_.end(); ++it) {
                if (detail::lane_of(it->job) != lane || it->not_before > now)
                    continue;
                if (best == queue_.end() || detail::priority_of(it->job) <
                                                detail::priority_of(best->job))
                    best = it;
            }
            if (best == queue_.end())
                break;
            // A new order held past its age is refused, never sent late.
            if (best->job == Job::post && best->attempt == 0 &&
                now - best->queued > std::chrono::milliseconds(options_.config.max_order_age_ms)) {
                const std::uint64_t id = best->order_id;
                queue_.erase(best);
                counters_.expired.fetch_add(1, std::memory_order_relaxed);
                if (book_.find(id) != nullptr)
                    post(reject_event(engine::OrderAction::new_order, known(id),
                                      engine::Reason::venue_rate_limited, wall_clock_ns()),
                         detail::tail_line("text", "held by the rate limit past max_order_age_ms"));
                continue;
            }
            if (!limiter_.try_acquire(detail::priority_of(best->job), now))
                return sent;
            Request r = std::move(*best);
            queue_.erase(best);
            if (dispatch(r))
                sent = true;
        }
    }
    return sent;
}

// One request onto its lane; false when there was nothing to send (its order is gone).
bool AlpacaVenue::dispatch(Request& r) {
    const auto ids_it = ids_.find(r.order_id);
    std::string target;
    std::string body;
    boost::beast::http::verb method = boost::beast::http::verb::get;
    switch (r.job) {
        case Job::post: {
            if (ids_it == ids_.end() || book_.find(r.order_id) == nullptr)
                return false;
            const engine::OrderRecord* o = book_.find(r.order_id);
            engine::OrderPayload p = detail::payload_of(*o);
            body = encode_new_order(p, ids_it->second.current, symbol_of(o->symbol)).json;
            method = boost::beast::http::verb::post;
            target = "/v2/orders";
            if (ids_it->second.first_sent == Clock::time_point{})
                ids_it->second.first_sent = Clock::now();
            break;
        }
        case Job::patch:
        case Job::cancel: {
            if (ids_it == ids_.end() || book_.find(r.order_id) == nullptr)
                return false;
            Ids& ids = ids_it->second;
            if (ids.alpaca_id.empty()) {
                // Its POST is unanswered or in doubt: asked again once Alpaca's id is known.
                r.not_before = Clock::now() + std::chrono::milliseconds(50);
                queue_.push_back(std::move(r));
                return false;
            }
            target = "/v2/orders/" + ids.alpaca_id;
            if (r.job == Job::cancel) {
                method = boost::beast::http::verb::delete_;
            } else {
                method = boost::beast::http::verb::patch;
                engine::OrderPayload terms = ids.replace.payload.order;
                terms.quantity -= book_.find(r.order_id)->filled;  // what is left to fill
                body = encode_replace(terms, ids.pending).json;
            }
            break;
        }
        case Job::lookup:
            target = "/v2/orders:by_client_order_id?client_order_id=" + r.key;
            counters_.lookups.fetch_add(1, std::memory_order_relaxed);
            break;
        case Job::follow:
            target = "/v2/orders/" + r.key;
            break;
        case Job::list_open:
            target = "/v2/orders?status=open&limit=500&direction=asc";
            break;
        case Job::positions:
            target = "/v2/positions";
            break;
        case Job::account:
            target = "/v2/account";
            break;
    }
    const std::size_t lane = detail::lane_of(r.job);
    lane_busy_[lane] = true;
    counters_.requests.fetch_add(1, std::memory_order_relaxed);
    rest_->request(lane, method, std::move(target), std::move(body),
                   [this, r, lane](Response&& res) {
                       lane_busy_[lane] = false;
                       if (stopping_)
                           return;  // close() failing what was in flight: keel is stopping
                       limiter_.on_answer(res.status, res.ratelimit_limit,
                                          res.ratelimit_remaining, res.ratelimit_reset,
                                          std::chrono::system_clock::now(), Clock::now());
                       if (res.status == 429)
                           counters_.rate_limited.fetch_add(1, std::memory_order_relaxed);
                       if (res.status == 401) {
                           refuse_auth(res);
                           if (r.job != Job::post)
                               return;
                       }
                       switch (r.job) {
                           case Job::post:
                               return on_post(r, std::move(res));
                           case Job::patch:
                               return on_patch(r, std::move(res));
                           case Job::cancel:
                               return on_cancel(r, std::move(res));
                           case Job::lookup:
                           case Job::follow:
                               return on_lookup(r, std::move(res));
                           case Job::list_open:
                               return on_list_open(r, std::move(res));
                           case Job::positions:
                               return on_positions(r, std::move(res));
                           case Job::account:
                               return on_account(r, std::move(res));
                       }
                   });
    return true;
}

// --- order answers ---

void AlpacaVenue::on_post(const Request& r, Response&& res) {
    const engine::OrderRecord* rec = book_.find(r.order_id);
    if (rec == nullptr)
        return;  // closed meanwhile (a lookup answered first)
    if (res.status >= 200 && res.status < 300) {
        Order o;
        if (const auto error = decode_order(res.body, o)) {
            counters_.malformed.fetch_add(1, std::memory_order_relaxed);
            return go_in_doubt(r, res, "an answer that does not decode (" + error->field + ": " +
                                           error->what + ")");
        }
        ids_[r.order_id].in_doubt = false;
        return post_snapshot(r.order_id, o, detail::tail_of(o));
    }
    const ApiError err = decode_error(res.body);
    const Answer a = classify(res.status, err);
    if (a == Answer::rejected || a == Answer::not_found || a == Answer::auth_failed) {
        const engine::Reason reason = a == Answer::auth_failed ? engine::Reason::venue_auth_failed
                                                               : reject_reason(res.status, err);
        return post(reject_event(engine::OrderAction::new_order, known(r.order_id), reason,
                                 wall_clock_ns()),
                    detail::tail_of_error(ids_[r.order_id].current, res.status, err));
    }
    go_in_doubt(r, res, err.message.empty() ? res.error : err.message);
}

// A POST or PATCH whose outcome is unknown: journaled, then looked up by its
// client_order_id once the limiter or the backoff allows.
void AlpacaVenue::go_in_doubt(const Request& r, const Response& res, std::string_view what) {
    Ids& ids = ids_[r.order_id];
    counters_.in_doubt.fetch_add(1, std::memory_order_relaxed);
    note_outcome(r.order_id, res, what);
    const bool named = r.job == Job::patch ? ids.pending.empty() : !ids.alpaca_id.empty();
    if (named)
        return;  // the stream has told what became of it already: nothing to ask
    ids.in_doubt = true;
    Request lookup;
    lookup.job = Job::lookup;
    lookup.order_id = r.order_id;
    lookup.key = r.job == Job::patch ? ids.pending : ids.current;
    lookup.not_before = Clock::now() + detail::backoff(res, 0);
    enqueue(std::move(lookup));
}

// A request that got no plain answer, journaled (a venue_status request_outcome record).
void AlpacaVenue::note_outcome(std::uint64_t order_id, const Response& res,
                               std::string_view what) {
    const engine::Reason reason = res.status == 429  ? engine::Reason::venue_rate_limited
                                  : res.timed_out    ? engine::Reason::venue_timeout
                                                     : engine::Reason::venue_http_error;
    const engine::OrderRecord* o = book_.find(order_id);
    const std::string tail = detail::outcome_tail(res.status, res.written, res.elapsed, what);
    log("order " + std::to_string(order_id) + ": " + detail::readable(tail));
    post_order_record(engine::VenueState::request_outcome, order_id,
                      o != nullptr ? o->status : engine::OrderStatus{}, reason, tail);
}

void AlpacaVenue::on_patch(const Request& r, Response&& res) {
    const engine::OrderRecord* rec = book_.find(r.order_id);
    Ids& ids = ids_[r.order_id];
    if (rec == nullptr || ids.pending.empty())
        return;  // settled meanwhile (the stream's new event of the replacement)
    if (res.status >= 200 && res.status < 300) {
        Order o;
        if (!decode_order(res.body, o))
            return ack_replace(r.order_id, o);
        counters_.malformed.fetch_add(1, std::memory_order_relaxed);
        return go_in_doubt(r, res, "an answer that does not decode");
    }
    const ApiError err = decode_error(res.body);
    const Answer a = classify(res.status, err);
    if (a == Answer::in_doubt)
        return go_in_doubt(r, res, err.message.empty() ? res.error : err.message);
    const engine::Reason reason = a == Answer::auth_failed ? engine::Reason::venue_auth_failed
                                  : a == Answer::not_found ? engine::Reason::venue_unknown_order
                                                           : reject_reason(res.status, err);
    post(reject_event(engine::OrderAction::replace, known(r.order_id), reason, wall_clock_ns()),
         detail::tail_of_error(ids.pending, res.status, err));
}

void AlpacaVenue::on_cancel(const Request& r, Response&& res) {
    if (book_.find(r.order_id) == nullptr)
        return;
    if (res.status >= 200 && res.status < 300)
        return;  // accepted: the stream's canceled event (or a fill) closes the order
    const ApiError err = decode_error(res.body);
    const Answer a = classify(res.status, err);
    if (a == Answer::rejected || a == Answer::not_found) {
        // Not cancelable (filled or closing) or unknown there: the book returns the order to
        // where it was, and a lookup tells what became of it.
        post(reject_event(engine::OrderAction::cancel, known(r.order_id),
                          a == Answer::not_found ? engine::Reason::venue_unknown_order
                                                 : engine::Reason::venue_rejected,
                          wall_clock_ns()),
             detail::tail_of_error(ids_[r.order_id].current, res.status, err));
        Request lookup;
        lookup.job = Job::lookup;
        lookup.order_id = r.order_id;
        lookup.key = ids_[r.order_id].current;
        return enqueue(std::move(lookup));
    }
    if (a == Answer::auth_failed)
        return;
    // No answer, 429 or 5xx: a cancel cannot place an order, so it is simply sent again.
    note_outcome(r.order_id, res, err.message.empty() ? res.error : err.message);
    retry_later(r, res);
}

void AlpacaVenue::retry_later(Request r, const Response& res) {
    r.not_before = Clock::now() + detail::backoff(res, ++r.attempt);
    enqueue(std::move(r));
}

// 401: the keys are refused. Nothing more goes out (a restart with good keys is needed).
void AlpacaVenue::refuse_auth(const Response& res) {
    if (link_ == Link::refused)
        return;
    link_ = Link::refused;
    log("Alpaca refused the API keys (HTTP " + std::to_string(res.status) +
        "): no order goes out until keel restarts with valid keys");
    post_status(engine::VenueState::refused, engine::Reason::venue_auth_failed);
}

}  // namespace keel::adapters::alpaca
