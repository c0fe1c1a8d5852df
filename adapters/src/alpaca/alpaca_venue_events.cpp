// AlpacaVenue's answers about orders and the stream's events: lookups (found, not found),
// trade_updates, the replies they become, and what those do to the adapter's mirror.
#include "keel/adapters/alpaca/alpaca_venue.hpp"

#include "keel/adapters/http/websocket_client.hpp"
#include "keel/adapters/venue/venue_reply.hpp"
#include "keel/engine/core/fixed_point.hpp"
#include "keel/engine/orders/order_id.hpp"

#include "alpaca_venue_detail.hpp"

namespace keel::adapters::alpaca {

using Clock = std::chrono::steady_clock;

// --- lookups ---

void AlpacaVenue::on_lookup(const Request& r, Response&& res) {
    if (res.status >= 200 && res.status < 300) {
        Order o;
        if (const auto error = decode_order(res.body, o)) {
            counters_.malformed.fetch_add(1, std::memory_order_relaxed);
            log("a lookup's answer that does not decode (" + error->field + ": " + error->what +
                "): asked again");
            return retry_later(r, res);
        }
        return on_found(r, o);
    }
    const ApiError err = decode_error(res.body);
    const Answer a = classify(res.status, err);
    if (a == Answer::not_found)
        return on_not_found(r);
    if (a == Answer::auth_failed)
        return;
    retry_later(r, res);  // no answer, 429, 5xx: the question is asked again
}

void AlpacaVenue::on_found(const Request& r, const Order& o) {
    const std::uint64_t id = r.order_id;
    if (book_.find(id) == nullptr)
        return settle(id);  // closed meanwhile (the stream told first)
    Ids& ids = ids_[id];
    ids.in_doubt = false;
    ids.not_found = 0;
    const bool replacement = !ids.pending.empty() && o.client_order_id == ids.pending;
    if (replacement)
        ack_replace(id, o);
    if (replacement || o.client_order_id == ids.current)
        post_snapshot(id, o, detail::tail_of(o));
    if (o.status == Status::replaced && !o.replaced_by.empty()) {
        // The order was replaced: its replacement says what is working now.
        Request follow = r;
        follow.job = Job::follow;
        follow.key = o.replaced_by;
        follow.attempt = 0;
        follow.not_before = {};
        return enqueue(std::move(follow));
    }
    if (r.reconcile && !ids.pending.empty() && book_.find(id) != nullptr) {
        // A replace in flight that Alpaca's current order does not show: asked about by its own
        // client_order_id (not found: it never happened).
        Request ask = r;
        ask.job = Job::lookup;
        ask.key = ids.pending;
        ask.attempt = 0;
        ask.not_before = {};
        return enqueue(std::move(ask));
    }
    if (r.reconcile)
        settle(id);
}

// No order at Alpaca by that client_order_id (alpaca_venue.hpp: never twice).
void AlpacaVenue::on_not_found(const Request& r) {
    const std::uint64_t id = r.order_id;
    const engine::OrderRecord* rec = book_.find(id);
    if (rec == nullptr)
        return settle(id);
    Ids& ids = ids_[id];
    if (!ids.pending.empty() && r.key == ids.pending) {
        // The replace's PATCH never took effect: refused, the order is back as it was.
        post(reject_event(engine::OrderAction::replace, known(id),
                          engine::Reason::venue_unknown_order, wall_clock_ns()),
             detail::tail_line("coid", r.key) +
                 detail::tail_line("text", "no order at Alpaca by the replace's client_order_id"));
        if (r.reconcile)
            settle(id);
        return;
    }
    ++ids.not_found;
    const auto age = Clock::now() - ids.first_sent;
    const bool sent_this_run = ids.first_sent != Clock::time_point{};
    const auto max_age = std::chrono::milliseconds(options_.config.max_order_age_ms);
    if (rec->status == engine::OrderStatus::pending_new && sent_this_run) {
        if (age <= max_age) {
            // Never placed: the same POST again, with the same client_order_id, which Alpaca
            // refuses (422, then looked up) if an earlier attempt did land after all.
            counters_.reposted.fetch_add(1, std::memory_order_relaxed);
            Request again = r;
            again.job = Job::post;
            again.attempt = 1;  // not a first attempt: max_order_age_ms was checked here
            again.not_before = {};
            return enqueue(std::move(again));
        }
        if (ids.not_found < 3) {
            // Older: asked again a little later (Alpaca's lookups may trail its POSTs).
            Request again = r;
            again.not_before =
                Clock::now() + 2 * std::chrono::milliseconds(options_.config.request_timeout_ms);
            return enqueue(std::move(again));
        }
    }
    const KnownOrder k = known(id);
    const std::string tail =
        detail::tail_line("coid", ids.current) +
        detail::tail_line("text", "Alpaca has no order by this client_order_id");
    if (rec->status == engine::OrderStatus::pending_new)
        post(reject_event(engine::OrderAction::new_order, k, engine::Reason::venue_unknown_order,
                          wall_clock_ns()),
             tail);
    else
        post(order_reply(engine::EventType::venue_cancel, k, k.owner, wall_clock_ns(),
                         engine::OrderStatus::canceled, engine::Reason::venue_unknown_order,
                         engine::OrderAction::cancel),
             tail);
    if (r.reconcile)
        settle(id);
}

// An order as Alpaca reports it (a POST's answer, a lookup's): the snapshot rule.
void AlpacaVenue::post_snapshot(std::uint64_t order_id, const Order& o, const std::string& tail) {
    const Mapped m = map_order_snapshot(o, known(order_id), wall_clock_ns());
    for (std::size_t i = 0; i < m.count; ++i)
        post(m.events[i], tail);
    if (m.count == 0 && !o.id.empty() && ids_[order_id].alpaca_id.empty() &&
        o.client_order_id == ids_[order_id].current) {
        // Nothing to journal, but Alpaca's id is now known (a cancel may be waiting for it).
        ids_[order_id].alpaca_id = o.id;
        by_alpaca_id_[o.id] = order_id;
    }
}

// The replacement of an order keel asked to replace (the PATCH's answer, the stream's new
// event or a lookup): keel's order takes its terms. Alpaca's qty is what was left to fill;
// keel's order counts what it filled before.
void AlpacaVenue::ack_replace(std::uint64_t order_id, const Order& replacement) {
    const engine::OrderRecord* rec = book_.find(order_id);
    if (rec == nullptr || ids_[order_id].pending.empty())
        return;
    const Mapped m = map_replace_ack(replacement, known(order_id), wall_clock_ns());
    if (m.count == 0)
        return;
    engine::Event e = m.events[0];
    if (replacement.has_qty)
        e.payload.order.quantity = replacement.qty + rec->filled;
    const std::string tail = detail::tail_of(replacement);
    apply(e, tail);
    replies_.post(e, tail);
}

// --- the stream ---

void AlpacaVenue::on_stream_message(std::string_view text) {
    StreamMessage m;
    if (const auto error = decode_stream_message(text, m)) {
        counters_.malformed.fetch_add(1, std::memory_order_relaxed);
        return log("a stream message that does not decode (" + error->field + ": " +
                   error->what + "): dropped");
    }
    switch (m.kind) {
        case StreamMessage::authorization:
            if (!m.authorized) {
                log("the stream refused the API keys: " + m.message);
                link_ = Link::refused;
                return post_status(engine::VenueState::refused, engine::Reason::venue_auth_failed);
            }
            (void)stream_->send(R"({"action":"listen","data":{"streams":["trade_updates"]}})");
            return;
        case StreamMessage::listening:
            if (!m.trade_updates)
                return log("the stream listens, but not to trade_updates");
            counters_.stream_connects.fetch_add(1, std::memory_order_relaxed);
            return start_reconciliation();
        case StreamMessage::trade_update:
            counters_.events.fetch_add(1, std::memory_order_relaxed);
            return on_trade_update(m.update);
        case StreamMessage::error:
            return log("the stream reports an error: " + m.message);
        case StreamMessage::other:
            return;
    }
}

std::uint64_t AlpacaVenue::find_order(const Order& o) const {
    if (const auto it = by_client_id_.find(o.client_order_id); it != by_client_id_.end())
        return it->second;
    if (const auto it = by_alpaca_id_.find(o.id); it != by_alpaca_id_.end())
        return it->second;
    return 0;
}

void AlpacaVenue::on_trade_update(const TradeUpdate& u) {
    const std::uint64_t id = find_order(u.order);
    if (id == 0 || book_.find(id) == nullptr) {
        counters_.unknown_order.fetch_add(1, std::memory_order_relaxed);
        return log("a " + u.event_text + " event for no open order keel knows (" +
                   detail::readable(detail::tail_of(u.order)) + "): dropped");
    }
    if (!u.execution_id.empty() && exec_ids_.count(u.execution_id) > 0) {
        counters_.duplicates.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    Ids& ids = ids_[id];
    const std::string tail = detail::tail_of(u.order, u.execution_id);
    const std::string& coid = u.order.client_order_id;
    if (!ids.pending.empty() && coid == ids.pending) {
        ack_replace(id, u.order);  // the replacement's new (or a first fill)
        if (u.event != Event::fill && u.event != Event::partial_fill)
            return;
    } else if (!ids.previous.empty() && coid == ids.previous) {
        // The replaced order's own late fill: journaled as the execution it is (the
        // replacement's cumulative figures do not count it); its other events add nothing.
        if ((u.event == Event::fill || u.event == Event::partial_fill) && u.has_qty &&
            u.has_price && u.qty.raw > 0) {
            const engine::OrderRecord* rec = book_.find(id);
            const bool final = rec->filled.raw + u.qty.raw >= rec->quantity.raw;
            post(fill_reply(known(id), wall_clock_ns(), u.price, u.qty, engine::Money{}, final),
                 tail);
        }
        return;
    } else if (coid != ids.current) {
        counters_.unknown_order.fetch_add(1, std::memory_order_relaxed);
        return log("a " + u.event_text + " event for an order of keel's (" + std::to_string(id) +
                   ") under a client_order_id it does not use now (" +
                   detail::readable(tail) + "): dropped");
    }
    const Mapped m = map_trade_update(u, known(id), wall_clock_ns());
    for (std::size_t i = 0; i < m.count; ++i)
        post(m.events[i], tail);
    if (m.count == 0 && ids.alpaca_id.empty() && !u.order.id.empty()) {
        ids.alpaca_id = u.order.id;  // the POST's answer was lost: the stream names the order
        by_alpaca_id_[u.order.id] = id;
    }
}

// --- replies and the mirror ---

// What keel knows of the order, in the terms of Alpaca's current order (which counts neither
// the fills of the orders it replaced nor, for an adopted order, the adoption's offset the
// other way).
KnownOrder AlpacaVenue::known(std::uint64_t order_id) const {
    KnownOrder k = known_order(order_id, book_.find(order_id));
    if (const auto it = ids_.find(order_id); it != ids_.end()) {
        const Ids& ids = it->second;
        k.filled_notional = ids.notional;
        k.fees = ids.fees;
        k.quantity -= ids.prior_filled;
        k.filled -= ids.prior_filled;
        k.filled_notional -= ids.prior_notional;
        k.fees -= ids.prior_fees;
    }
    return k;
}

void AlpacaVenue::post(const engine::Event& e, const std::string& tail) {
    engine::Event reply = e;
    // Back into keel's terms: its order counts what Alpaca's current order does not.
    if (e.header.type != engine::EventType::venue_fill)
        if (const auto it = ids_.find(e.payload.order.order_id); it != ids_.end())
            reply.payload.order.quantity += it->second.prior_filled;
    apply(reply, tail);
    replies_.post(reply, tail);
}

// What a reply does to the mirror and the ids (also for journaled replies at a restart).
void AlpacaVenue::apply(const engine::Event& e, std::string_view tail) {
    const bool fill = e.header.type == engine::EventType::venue_fill;
    const std::uint64_t order_id = fill ? e.payload.fill.order_id : e.payload.order.order_id;
    Ids& ids = ids_[order_id];
    const auto fields = detail::parse_tail(tail);
    const auto field = [&](const char* key) {
        const auto it = fields.find(key);
        return it == fields.end() ? std::string() : it->second;
    };
    const std::string coid = field("coid");
    const std::string aid = field("aid");
    const bool replace_ack = e.header.type == engine::EventType::venue_ack &&
                             e.payload.order.action == engine::OrderAction::replace;
    if (engine::is_adoption(e))
        adopted_from(ids, order_id, coid, field("filled"), field("avg"));
    if (!aid.empty()) {
        by_alpaca_id_[aid] = order_id;
        if (coid == ids.current || (replace_ack && coid == ids.pending))
            ids.alpaca_id = aid;
    }
    if (const std::string eid = field("eid"); !eid.empty())
        exec_ids_.insert(eid);
    if (fill)
        book_fill(ids, e, coid);
    if (replace_ack && !ids.pending.empty()) {
        // Alpaca's replacement counts from nothing: what keel's order filled so far is prior.
        if (const engine::OrderRecord* r = book_.find(order_id))
            ids.prior_filled = r->filled;
        ids.prior_notional = ids.notional;
        ids.prior_fees = ids.fees;
        ids.previous = ids.current;
        ids.current = ids.pending;
    }
    if (replace_ack || e.header.type == engine::EventType::venue_reject ||
        e.header.type == engine::EventType::venue_cancel)
        ids.pending.clear();
    (void)book_.apply(e);
    if (const engine::OrderRecord* r = book_.find(order_id))
        ids.last_status = r->status;
    else
        ids.last_status = fill ? engine::OrderStatus::filled : e.payload.order.status;
}

// A fill's money and position; one of the replaced order's own (late) counted as prior.
void AlpacaVenue::book_fill(Ids& ids, const engine::Event& e, const std::string& coid) {
    const engine::FillPayload& f = e.payload.fill;
    engine::Money n{};
    (void)engine::notional(f.price, f.quantity, n);
    ids.notional.raw += n.raw;
    ids.fees.raw += f.fee.raw;
    if (!ids.previous.empty() && coid == ids.previous) {
        ids.prior_filled.raw += f.quantity.raw;
        ids.prior_notional.raw += n.raw;
        ids.prior_fees.raw += f.fee.raw;
    }
    const engine::OrderRecord* r = book_.find(f.order_id);
    const engine::Side side = r != nullptr ? r->side : f.side;
    positions_[e.header.symbol] += side == engine::Side::sell ? -f.quantity.raw : f.quantity.raw;
}

// An adoption (adopt(), or its journaled record at a restart): the order's client_order_id
// and what Alpaca had filled before, which its cumulative figures go on counting.
void AlpacaVenue::adopted_from(Ids& ids, std::uint64_t order_id, const std::string& coid,
                               const std::string& filled, const std::string& avg) {
    if (!coid.empty()) {
        ids.current = coid;
        by_client_id_[coid] = order_id;
    }
    engine::Quantity q{};
    engine::Price px{};
    engine::Money paid{};
    if (engine::Quantity::parse(filled, q) == engine::DecimalError::ok &&
        engine::Price::parse(avg, px) == engine::DecimalError::ok &&
        engine::notional(px, q, paid)) {
        ids.prior_filled = engine::Quantity::from_raw(-q.raw);
        ids.prior_notional = engine::Money::from_raw(-paid.raw);
    }
    adopted_ = std::max(adopted_, engine::adopted_index(order_id) + 1);
}

void AlpacaVenue::restore(const engine::Event& input, std::string_view tail) {
    using engine::EventType;
    const EventType t = input.header.type;
    if (t == EventType::session_start) {
        options_.venue_id_prefix = input.payload.session.venue_id_prefix;  // a continued journal
        return;
    }
    if (input.header.source != engine::Source::venue ||
        (t != EventType::venue_ack && t != EventType::venue_fill &&
         t != EventType::venue_reject && t != EventType::venue_cancel))
        return;
    const std::uint64_t order_id =
        t == EventType::venue_fill ? input.payload.fill.order_id : input.payload.order.order_id;
    if (engine::order_id_account(order_id) != options_.account)
        return;
    apply(input, tail);
}

}  // namespace keel::adapters::alpaca
