#include "keel/adapters/fix/fix_venue.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>

#include "keel/adapters/venue/venue_reply.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/core/fixed_point.hpp"
#include "keel/engine/orders/venue_id.hpp"

namespace keel::adapters::fix {
namespace {

constexpr char kSoh = '\x01';
constexpr int kTestReqId = 112;
// A mass status request unanswered this many times (status_retry_ms apart): given up on.
constexpr std::uint32_t kMassStatusAttempts = 3;

// A ResendRequest's range: BeginSeqNo (7) .. EndSeqNo (16).
std::string resend_range(const FixMessage& m) {
    const std::string* from = m.find(7);
    const std::string* to = m.find(16);
    return (from != nullptr ? *from : "?") + ".." + (to != nullptr ? *to : "?");
}

// The tail of a reply: the venue's ids and text from the message it came from (by default).
std::string tail_of(const FixMessage& m,
                    std::initializer_list<int> tags = {tag::cl_ord_id, tag::orig_cl_ord_id,
                                                       tag::order_id, tag::exec_id, tag::text}) {
    std::string out;
    for (const int t : tags) {
        if (const std::string* v = m.find(t)) {
            out += std::to_string(t) + "=" + *v + kSoh;
        }
    }
    if (out.size() > engine::kMaxTailBytes)
        out.resize(engine::kMaxTailBytes);
    return out;
}

// A tail back into fields (restore).
FixMessage parse_tail(std::string_view tail) {
    FixMessage m;
    while (!tail.empty()) {
        const auto end = tail.find(kSoh);
        const std::string_view field = tail.substr(0, end);
        const auto eq = field.find('=');
        if (eq != std::string_view::npos) {
            int t = 0;
            for (const char c : field.substr(0, eq))
                t = c >= '0' && c <= '9' ? t * 10 + (c - '0') : -1;
            if (t > 0)
                m.add(t, std::string(field.substr(eq + 1)));
        }
        if (end == std::string_view::npos)
            break;
        tail.remove_prefix(end + 1);
    }
    return m;
}

}  // namespace

FixVenue::FixVenue(FixVenueOptions options, TailReplySink& replies, Log log)
    : options_(std::move(options)),
      replies_(replies),
      log_(std::move(log)),
      book_(options_.order_capacity) {}

FixVenue::~FixVenue() { on_thread_stop(); }

std::string FixVenue::symbol_of(engine::SymbolId id) const {
    return symbol_name(options_.symbols, id);
}

void FixVenue::log(const std::string& what) {
    if (log_)
        log_("fix: " + what);
}

// --- requests (adapter thread) ---

void FixVenue::submit(const engine::Event& e) noexcept {
    if (e.header.type != engine::EventType::order_sent)
        return;
    const engine::OrderPayload& o = e.payload.order;
    if (!started_) {
        // A restart re-running the journal: what was sent is recorded, never sent again (a
        // cancel-all as the cancels it sent, so later cancels are not named as those were).
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
}

void FixVenue::refuse(const engine::Event& request, engine::Reason reason, std::string_view text) {
    engine::Event r = request;
    r.header.type = engine::EventType::venue_reject;
    r.header.source = engine::Source::venue;
    r.header.seq = 0;
    r.header.ts_ns = wall_clock_ns();
    r.payload.order.status = engine::OrderStatus::rejected;
    r.payload.order.reason = reason;
    FixMessage why;
    why.add(tag::text, std::string(text));
    apply(r, nullptr);
    replies_.post(r, tail_of(why));
}

bool FixVenue::send(const FixMessage& m, std::string& error) {
    if (!endpoint_ || !endpoint_->send(m, error))
        return false;
    counters_.sent.fetch_add(1, std::memory_order_relaxed);
    return true;
}

// The ClOrdID of a request and the ids it is known by: a new order's venue id; a cancel's or
// replace's own (<current>-<n>), pending until answered. The same whether the request goes out
// now or a restart re-runs it, so a continued session names its requests as the first did.
std::string FixVenue::record(const engine::Event& e) {
    const engine::OrderPayload& o = e.payload.order;
    Ids& ids = ids_[o.order_id];
    std::string id;
    if (o.action == engine::OrderAction::new_order) {
        id = std::string(engine::make_venue_id(options_.venue_id_prefix, o.order_id).view());
        ids.current = id;
    } else {
        // An adopted order's requests are named in keel's own namespace (its venue id), never
        // after the other client's ClOrdID, which that client may extend the same way.
        const std::string base =
            engine::is_adopted_order_id(o.order_id)
                ? std::string(engine::make_venue_id(options_.venue_id_prefix, o.order_id).view())
                : ids.current;
        id = base + "-" + std::to_string(++ids.requests);
        ids.pending = id;
        if (o.action == engine::OrderAction::replace)
            ids.replace = e;
    }
    by_cl_ord_id_[id] = o.order_id;
    return id;
}

void FixVenue::send_new(const engine::Event& e) {
    const engine::OrderPayload& o = e.payload.order;
    const std::string id = record(e);
    (void)book_.apply(e);
    if (link_ != Link::ready) {
        counters_.refused_offline.fetch_add(1, std::memory_order_relaxed);
        return refuse(e, engine::Reason::venue_disconnected, "the FIX session is not ready");
    }
    const Encoded enc =
        encode_new_order(o, id, symbol_of(e.header.symbol), utc_timestamp(wall_clock_ns()));
    if (!enc.ok())
        return refuse(e, enc.refused, enc.why);
    std::string error;
    if (!send(enc.message, error)) {
        counters_.refused_offline.fetch_add(1, std::memory_order_relaxed);
        return refuse(e, engine::Reason::venue_disconnected, error);
    }
}

void FixVenue::send_cancel_or_replace(const engine::Event& e) {
    const engine::OrderPayload& o = e.payload.order;
    const auto it = ids_.find(o.order_id);
    if (it == ids_.end() || book_.find(o.order_id) == nullptr)
        return refuse(e, engine::Reason::unknown_order, "no open order with this id");
    const std::string current = it->second.current;
    const std::string id = record(e);
    (void)book_.apply(e);
    const bool replace = o.action == engine::OrderAction::replace;
    if (link_ == Link::down || (replace && link_ != Link::ready)) {
        counters_.refused_offline.fetch_add(1, std::memory_order_relaxed);
        return refuse(e, engine::Reason::venue_disconnected, "the FIX session is not ready");
    }
    const std::string symbol = symbol_of(e.header.symbol);
    const std::string now = utc_timestamp(wall_clock_ns());
    // An adopted order's new quantity as the venue counts it (with what it filled before).
    engine::OrderPayload terms = o;
    terms.quantity += ids_[o.order_id].adopted_filled;
    const Encoded enc = replace ? encode_replace(terms, id, current, symbol, now)
                                : encode_cancel(terms, id, current, symbol, now);
    if (!enc.ok())
        return refuse(e, enc.refused, enc.why);
    std::string error;
    if (!send(enc.message, error))
        return refuse(e, engine::Reason::venue_disconnected, error);
}

void FixVenue::cancel_all(const engine::Event& e) {
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

// --- the session (adapter thread) ---

void FixVenue::on_thread_start() {
    started_ = true;
    std::string error;
    endpoint_ = FixEndpoint::create(FixEndpoint::Role::initiator, options_.session, *this, error);
    if (!endpoint_)
        log("cannot open the FIX session: " + error);
    post_status(engine::VenueState::disconnected, engine::Reason::none);
}

void FixVenue::on_thread_stop() noexcept {
    if (endpoint_) {
        endpoint_->stop(true);
        endpoint_.reset();
    }
}

bool FixVenue::poll() noexcept {
    if (!endpoint_)
        return false;
    const std::uint64_t before = counters_.reports.load(std::memory_order_relaxed);
    std::string error;
    try {
        endpoint_->poll(error);
        if (link_ == Link::syncing && !resync_ &&
            std::chrono::steady_clock::now() - synced_at_ >
                std::chrono::milliseconds(options_.status_retry_ms)) {
            log("the reconciliation's TestRequest went unanswered: sent again");
            resync_ = true;
        }
        if (link_ == Link::syncing && resync_)
            send_sync();
        if (link_ == Link::reconciling && (!awaiting_status_.empty() || !mass_id_.empty()) &&
            std::chrono::steady_clock::now() - asked_at_ >
                std::chrono::milliseconds(options_.status_retry_ms))
            ask_status();
    } catch (const std::exception& ex) {
        error = ex.what();
    }
    if (!error.empty())
        log(error);
    return counters_.reports.load(std::memory_order_relaxed) != before;
}

// A venue_status input of this account's venue, now.
engine::Event FixVenue::status_event(engine::VenueState state, engine::Reason reason) const {
    return link_status(state, reason, options_.account, reconnects_, wall_clock_ns());
}

void FixVenue::post_status(engine::VenueState state, engine::Reason reason) {
    engine::Event e = status_event(state, reason);
    e.payload.venue_status.resolved = resolved_;
    e.payload.venue_status.in_doubt =
        link_in_doubt(state, book_.open_count(), foreign_, awaiting_status_.size());
    replies_.post(e);
}

void FixVenue::on_logon() {
    counters_.logons.fetch_add(1, std::memory_order_relaxed);
    ++reconnects_;
    log("logged on");
    start_reconciliation();
}

void FixVenue::on_logout() {
    if (link_ == Link::down)
        return;
    counters_.disconnects.fetch_add(1, std::memory_order_relaxed);
    link_ = Link::down;
    awaiting_status_.clear();
    mass_id_.clear();
    log("logged out or disconnected: new orders refused until the session is back");
    post_status(engine::VenueState::disconnected, engine::Reason::venue_disconnected);
}

void FixVenue::start_reconciliation() {
    link_ = Link::syncing;
    resolved_ = 0;
    post_status(engine::VenueState::reconciling, engine::Reason::none);
    // A TestRequest round trip first: its Heartbeat comes after any resend request the venue
    // sent at logon, which QuickFIX answers on arrival, so no resent order can reach the venue
    // after the status request that asks about it.
    send_sync();
}

// The TestRequest of the logon's round trip. Sent again on the turn after a resend request
// (the resend gap-fills session messages, the TestRequest among them, so its Heartbeat never
// comes) and after status_retry_ms without an answer.
void FixVenue::send_sync() {
    resync_ = false;
    synced_at_ = std::chrono::steady_clock::now();
    sync_id_ = "keel-sync-" + std::to_string(reconnects_) + "-" + std::to_string(++syncs_);
    FixMessage test;
    test.msg_type = "1";
    test.add(kTestReqId, sync_id_);
    std::string error;
    if (!endpoint_->send(test, error))
        log("cannot send the logon TestRequest: " + error);
}

void FixVenue::on_admin(const FixMessage& m) {
    if (m.msg_type == "0") {
        const std::string* id = m.find(kTestReqId);
        if (link_ == Link::syncing && id != nullptr && *id == sync_id_) {
            link_ = Link::reconciling;
            awaiting_status_.clear();
            for (const engine::OrderRecord& r : book_.open_orders())
                awaiting_status_.insert(r.order_id);
            foreign_ = 0;
            foreign_ids_.clear();
            adopted_now_ = 0;
            mass_seen_ = 0;
            mass_asked_ = 0;
            if (options_.mass_status)  // unique across restarts: the journal's prefix
                mass_id_ = "keel-mass-" + std::to_string(options_.venue_id_prefix) + "-" +
                           std::to_string(reconnects_);
            ask_status();
        }
        return;
    }
    std::ostringstream text;
    if (m.msg_type == "3" && mass_status_refused(m))
        return;
    if (m.msg_type == "2") {
        log("the venue asked for messages " + resend_range(m) + " again");
        resync_ = link_ == Link::syncing;
        return;
    }
    text << "session message " << m.msg_type;
    if (const std::string* t = m.find(tag::text))
        text << ": " << *t;
    log(text.str());
}

// What this end sent because of what the venue sent: counted and logged with its context.
void FixVenue::on_admin_sent(const FixMessage& m) {
    std::ostringstream text;
    if (m.msg_type == "2") {
        counters_.sequence_gaps.fetch_add(1, std::memory_order_relaxed);
        text << "a message numbered past the next expected: asked the venue to resend "
             << resend_range(m);
    } else if (m.msg_type == "3") {
        counters_.session_rejects.fetch_add(1, std::memory_order_relaxed);
        text << "refused a message from the venue (Reject";
        for (const auto& [t, name] : {std::pair{45, "RefSeqNum"}, std::pair{371, "RefTagID"},
                                      std::pair{372, "RefMsgType"}, std::pair{58, "Text"}})
            if (const std::string* v = m.find(t))
                text << ", " << name << " " << *v;
        text << ")";
    } else {
        text << "logging out";
        if (const std::string* t = m.find(tag::text))
            text << ": " << *t;
    }
    log(text.str());
}

// Sends every question still open: the mass status request, a status request per order.
void FixVenue::ask_status() {
    asked_at_ = std::chrono::steady_clock::now();
    std::string error;
    if (!mass_id_.empty() && mass_asked_ >= kMassStatusAttempts) {
        log("the venue did not answer " + std::to_string(mass_asked_) +
            " mass status requests: reconciling by per-order status only (orders keel never "
            "sent cannot be found)");
        mass_id_.clear();
    }
    if (!mass_id_.empty() && send(encode_mass_status_request(mass_id_), error)) {
        ++mass_asked_;
        counters_.status_requests.fetch_add(1, std::memory_order_relaxed);
    }
    for (const std::uint64_t id : awaiting_status_) {
        const engine::OrderRecord* r = book_.find(id);
        const Encoded enc =
            encode_status_request(ids_[id].current, symbol_of(r != nullptr ? r->symbol : 0),
                                  r != nullptr ? r->side : engine::Side::buy);
        if (enc.ok() && send(enc.message, error))
            counters_.status_requests.fetch_add(1, std::memory_order_relaxed);
    }
    finish_if_answered();
}

// Every question answered: ready, or refused when the venue holds orders keel never sent.
void FixVenue::finish_if_answered() {
    if (link_ != Link::reconciling || !awaiting_status_.empty() || !mass_id_.empty())
        return;
    if (foreign_ > 0) {
        link_ = Link::refused;
        log("refused: the venue holds " + std::to_string(foreign_) +
            " orders this journal never sent; no order goes out until they are canceled at "
            "the venue and the session reconnects");
        post_status(engine::VenueState::refused, engine::Reason::foreign_order);
        return;
    }
    link_ = Link::ready;
    log("ready: " + std::to_string(resolved_) + " orders resolved" +
        (adopted_now_ > 0 ? ", " + std::to_string(adopted_now_) + " adopted" : std::string()));
    post_status(engine::VenueState::ready, engine::Reason::none);
}

// One report of the mass status answer: an order keel holds open is answered like a status
// request; a working order keel never sent (or holds closed) is journaled once (by OrderID, or
// ClOrdID) and refuses the venue; a done order keel does not know is none of its business.
// 912=Y, 911=0 or the 911-th report ends the answer.
void FixVenue::on_mass_report(const FixMessage& m, const std::string& request_id) {
    if (request_id != mass_id_) {
        log("an answer to an earlier mass status request (" + request_id + "): dropped");
        return;
    }
    const std::string* total = m.find(tag::tot_num_reports);
    const std::string* last = m.find(tag::last_rpt_requested);
    std::int64_t expected = -1;  // 911, when given and a count
    if (total != nullptr) {
        const char* end = total->data() + total->size();
        if (std::from_chars(total->data(), end, expected).ptr != end || expected < 0)
            expected = -1;
    }
    if (expected != 0) {
        ++mass_seen_;
        const std::string* cl = m.find(tag::cl_ord_id);
        const auto known_id = cl != nullptr ? by_cl_ord_id_.find(*cl) : by_cl_ord_id_.end();
        const bool open_here =
            known_id != by_cl_ord_id_.end() && book_.find(known_id->second) != nullptr;
        const std::string* status = m.find(tag::ord_status);
        const bool working = status != nullptr && status->size() == 1 &&
                             std::string_view("01AE6").find((*status)[0]) != std::string_view::npos;
        if (open_here)
            apply_report(m);
        else if (working)
            on_foreign_order(m, known_id != by_cl_ord_id_.end());
    }
    const bool ends = (last != nullptr && *last == "Y") || expected == 0 ||
                      (expected > 0 && mass_seen_ >= static_cast<std::uint64_t>(expected));
    if (ends)
        end_mass_status();
}

void FixVenue::on_foreign_order(const FixMessage& m, bool closed_here) {
    const std::string* order_id = m.find(tag::order_id);
    const std::string* cl = m.find(tag::cl_ord_id);
    const std::string key = order_id != nullptr ? *order_id : cl != nullptr ? *cl : "";
    if (!foreign_ids_.insert(key).second)
        return;  // the same order again (a duplicate report, an answer asked twice)
    if (options_.adopt_unknown && !closed_here) {  // keel's own order is never re-owned
        std::string why;
        if (adopt(m, why))
            return;
        log("cannot adopt the venue's order " + key + ": " + why);
    }
    ++foreign_;
    counters_.foreign_orders.fetch_add(1, std::memory_order_relaxed);
    std::string fields;
    for (const int t : {tag::symbol, tag::side, tag::order_qty, tag::price, tag::leaves_qty,
                        tag::ord_status})
        if (const std::string* v = m.find(t))
            fields += std::to_string(t) + "=" + v->substr(0, 40) + kSoh;
    std::string tail = fields + tail_of(m);
    if (tail.size() > engine::kMaxTailBytes)
        tail.resize(engine::kMaxTailBytes);
    log(std::string(closed_here ? "the venue holds working an order this journal closed: "
                                : "the venue holds an order this journal never sent: ") +
        tail);
    post_order_record(engine::VenueState::foreign_order, 0, engine::OrderStatus{},
                      engine::Reason::foreign_order, tail);
}

// reconcile.adopt_unknown: a working order keel never sent becomes keel's (fix_venue.hpp). False,
// with why, when keel cannot hold it.
bool FixVenue::adopt(const FixMessage& m, std::string& why) {
    ExecReport r;
    if (const auto error = decode_execution_report(m, r)) {
        why = "its report does not decode (" + error->what + ")";
        return false;
    }
    const auto symbol = std::find(options_.symbols.begin(), options_.symbols.end(), r.symbol);
    // OrdType is optional in a report: without it the prices it carries say the type.
    const auto type = r.ord_type != 0 ? ord_type_from(r.ord_type)
                      : r.has_price   ? std::optional{r.has_stop_px ? engine::OrderType::stop_limit
                                                                    : engine::OrderType::limit}
                      : r.has_stop_px ? std::optional{engine::OrderType::stop}
                                      : std::optional{engine::OrderType::market};
    const auto tif = r.time_in_force == 0 ? std::optional{engine::TimeInForce::day}
                                          : tif_from(r.time_in_force);
    const bool priced = type == engine::OrderType::limit || type == engine::OrderType::stop_limit;
    const bool stopped = type == engine::OrderType::stop || type == engine::OrderType::stop_limit;
    if (r.cl_ord_id.empty())
        why = "no ClOrdID to cancel it by";
    else if (symbol == options_.symbols.end())
        why = "symbol '" + r.symbol + "' is not one keel trades";
    else if (!type || !tif)
        why = std::string("OrdType '") + r.ord_type + "' or TimeInForce '" + r.time_in_force +
              "' has no keel name";
    else if ((priced && (!r.has_price || r.price.raw <= 0)) ||
             (stopped && (!r.has_stop_px || r.stop_px.raw <= 0)))
        why = "its price or stop price is missing";
    else if (r.leaves_qty.raw <= 0)
        why = "nothing left to fill (LeavesQty 0)";
    if (!why.empty())
        return false;
    ForeignOrder foreign;
    foreign.symbol = static_cast<engine::SymbolId>(symbol - options_.symbols.begin());
    foreign.side = r.side;
    foreign.type = *type;
    foreign.tif = *tif;
    foreign.price = priced ? r.price : engine::Price{};
    foreign.stop_price = stopped ? r.stop_px : engine::Price{};
    foreign.left = r.leaves_qty;
    const engine::Event e = adopted_ack(engine::make_adopted_order_id(adopted_, options_.account),
                                        foreign, wall_clock_ns());
    if (book_.peek(e).result != engine::ApplyResult::applied) {
        why = "keel's order book is full";
        return false;
    }
    apply(e, &m);
    // The tail keeps what a restart needs to know the order again: its ids, and what the venue
    // had filled before (CumQty 14, AvgPx 6).
    replies_.post(e, tail_of(m, {tag::cl_ord_id, tag::order_id, tag::exec_id, tag::cum_qty,
                                 tag::avg_px, tag::symbol, tag::order_qty, tag::leaves_qty,
                                 tag::ord_status, tag::text}));
    ++adopted_now_;
    counters_.adopted.fetch_add(1, std::memory_order_relaxed);
    log("adopted the venue's order " + r.cl_ord_id + " (OrderID " + r.order_id + ", " + r.symbol +
        ", " + r.leaves_qty.to_string() + " left) as order " +
        std::to_string(e.payload.order.order_id));
    return true;
}

// A Reject (3) or BusinessMessageReject (j) naming the mass status request in flight (its
// RefMsgType 372): the venue does not answer it, so reconciliation goes on by per-order
// status only. False when the message is about something else.
bool FixVenue::mass_status_refused(const FixMessage& m) {
    const std::string* ref_type = m.find(372);
    if (ref_type == nullptr || *ref_type != msg::order_mass_status_request || mass_id_.empty())
        return false;
    log(std::string("the venue refused the mass status request (") +
        (m.msg_type == "3" ? "Reject" : "BusinessMessageReject") +
        "): reconciling by per-order status only");
    end_mass_status();
    return true;
}

// The mass status question is over (answered, refused by the venue, or given up on).
void FixVenue::end_mass_status() {
    mass_id_.clear();
    mass_seen_ = 0;
    mass_asked_ = 0;
    finish_if_answered();
}

// An order reconciliation asked about is answered: one order_reconciled record (its state
// after), and ready once every question is.
void FixVenue::settle(std::uint64_t order_id, engine::OrderStatus status, engine::Reason reason) {
    if (link_ != Link::reconciling || awaiting_status_.erase(order_id) == 0)
        return;
    post_order_record(engine::VenueState::order_reconciled, order_id, status, reason);
    ++resolved_;
    counters_.resolved.fetch_add(1, std::memory_order_relaxed);
    finish_if_answered();
}

void FixVenue::post_order_record(engine::VenueState what, std::uint64_t order_id,
                                 engine::OrderStatus status, engine::Reason reason,
                                 const std::string& tail) {
    engine::Event e = status_event(what, reason);
    if (const engine::OrderRecord* r = book_.find(order_id))
        e.header.symbol = r->symbol;
    e.payload.venue_status.order_status = status;
    e.payload.venue_status.order_id = order_id;
    replies_.post(e, tail);
}

bool FixVenue::on_outgoing(const FixMessage& m) {
    if (!m.poss_dup)
        return true;
    const auto sent = parse_utc_timestamp(m.orig_sending_time.empty() ? m.sending_time
                                                              : m.orig_sending_time);
    const std::int64_t age_ms = sent ? (wall_clock_ns() - *sent) / 1'000'000 : INT64_MAX;
    if (age_ms > options_.max_resend_age_ms) {
        counters_.stale_gap_filled.fetch_add(1, std::memory_order_relaxed);
        const std::string* id = m.find(tag::cl_ord_id);
        log("gap-filled a " + m.msg_type + " (ClOrdID " + (id != nullptr ? *id : "?") +
            ") older than max_resend_age_ms: never sent late; its order is asked about");
        const auto order = id != nullptr ? by_cl_ord_id_.find(*id) : by_cl_ord_id_.end();
        const bool request = m.msg_type == msg::new_order_single ||
                             m.msg_type == msg::order_cancel_request ||
                             m.msg_type == msg::order_cancel_replace_request;
        if (order != by_cl_ord_id_.end() && request) {
            const engine::OrderRecord* r = book_.find(order->second);
            post_order_record(engine::VenueState::resend_gap_filled, order->second,
                              r != nullptr ? r->status : engine::OrderStatus{},
                              engine::Reason::stale_resend, tail_of(m));
            // A cancel or replace the venue will never see: refused, so the order is back as
            // it was (a kill switch's cancel-all then cancels it again) and asked about.
            if (m.msg_type != msg::new_order_single && r != nullptr &&
                ids_[order->second].pending == *id) {
                const KnownOrder k = known(order->second);
                const auto action = m.msg_type == msg::order_cancel_request
                                        ? engine::OrderAction::cancel
                                        : engine::OrderAction::replace;
                post(order_reply(engine::EventType::venue_reject, k, k.owner, wall_clock_ns(),
                                 engine::OrderStatus::rejected, engine::Reason::stale_resend,
                                 action),
                     m);
            }
        }
        return false;
    }
    counters_.resent.fetch_add(1, std::memory_order_relaxed);
    return true;
}

// --- reports (adapter thread) ---

void FixVenue::on_app_message(const FixMessage& m) {
    counters_.reports.fetch_add(1, std::memory_order_relaxed);
    if (m.msg_type == msg::execution_report)
        on_report(m);
    else if (m.msg_type == "j" && mass_status_refused(m))
        return;
    else if (m.msg_type == msg::order_cancel_reject)
        on_cancel_reject(m);
    else
        log("ignored an application message of type " + m.msg_type);
}

std::uint64_t FixVenue::find_order(const FixMessage& m) const {
    for (const int t : {tag::cl_ord_id, tag::orig_cl_ord_id}) {
        if (const std::string* v = m.find(t)) {
            if (const auto it = by_cl_ord_id_.find(*v); it != by_cl_ord_id_.end())
                return it->second;
        }
    }
    if (const std::string* v = m.find(tag::order_id)) {
        if (const auto it = by_venue_order_id_.find(*v); it != by_venue_order_id_.end())
            return it->second;
    }
    return 0;
}

KnownOrder FixVenue::known(std::uint64_t order_id) const {
    KnownOrder k = known_order(order_id, book_.find(order_id));
    if (const auto it = ids_.find(order_id); it != ids_.end()) {
        const Ids& ids = it->second;
        k.filled_notional = ids.notional;
        // An adopted order as the venue's cumulative figures count it: with what it had
        // filled before keel took it.
        k.quantity += ids.adopted_filled;
        k.filled += ids.adopted_filled;
        k.filled_notional += ids.adopted_notional;
    }
    return k;
}

void FixVenue::on_report(const FixMessage& m) {
    if (const std::string* mass = m.find(tag::mass_status_req_id))
        return on_mass_report(m, *mass);
    apply_report(m);
}

void FixVenue::apply_report(const FixMessage& m) {
    ExecReport report;
    if (const auto error = decode_execution_report(m, report)) {
        counters_.malformed.fetch_add(1, std::memory_order_relaxed);
        return log("an execution report that does not decode (" + error->what +
                   "): dropped; fields " + tail_of(m));
    }
    if (!report.exec_id.empty() && exec_ids_.count(report.exec_id) > 0 &&
        report.exec_type != 'I') {
        counters_.duplicates.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    const std::uint64_t order_id = find_order(m);
    if (order_id == 0 || book_.find(order_id) == nullptr) {
        counters_.unknown_order.fetch_add(1, std::memory_order_relaxed);
        if (report.exec_type == 'I' && order_id != 0)
            settle(order_id, engine::OrderStatus{}, engine::Reason::none);  // closed since
        return log("an execution report for no open order keel knows: dropped; fields " +
                   tail_of(m));
    }
    if (!report.exec_id.empty())
        exec_ids_.insert(report.exec_id);
    const Mapped mapped = map_execution_report(report, known(order_id), wall_clock_ns());
    for (std::size_t i = 0; i < mapped.count; ++i)
        post(mapped.events[i], m);
    if (report.exec_type == 'I') {
        // Its state after the answer.
        const engine::OrderRecord* after = book_.find(order_id);
        engine::OrderStatus status = after != nullptr ? after->status : engine::OrderStatus{};
        engine::Reason reason = engine::Reason::none;
        if (mapped.count > 0) {
            const engine::Event& last = mapped.events[mapped.count - 1];
            if (after == nullptr)
                status = last.header.type == engine::EventType::venue_fill
                             ? engine::OrderStatus::filled
                             : last.payload.order.status;
            if (last.header.type != engine::EventType::venue_fill)
                reason = last.payload.order.reason;
        }
        settle(order_id, status, reason);
    }
}

void FixVenue::on_cancel_reject(const FixMessage& m) {
    CancelReject reject;
    if (const auto error = decode_cancel_reject(m, reject)) {
        counters_.malformed.fetch_add(1, std::memory_order_relaxed);
        return log("an order cancel reject that does not decode (" + error->what +
                   "): dropped; fields " + tail_of(m));
    }
    const std::uint64_t order_id = find_order(m);
    if (order_id == 0 || book_.find(order_id) == nullptr) {
        counters_.unknown_order.fetch_add(1, std::memory_order_relaxed);
        return log("an order cancel reject for no open order keel knows: dropped; fields " +
                   tail_of(m));
    }
    const Mapped mapped = map_cancel_reject(reject, known(order_id), wall_clock_ns());
    ids_[order_id].pending.clear();
    for (std::size_t i = 0; i < mapped.count; ++i)
        post(mapped.events[i], m);
}

void FixVenue::post(const engine::Event& e, const FixMessage& from) {
    engine::Event reply = e;
    // An adopted order's replies: the venue's OrderQty (and known()'s) counts what it filled
    // before keel took it; keel's book does not.
    if (e.header.type != engine::EventType::venue_fill)
        if (const auto it = ids_.find(e.payload.order.order_id); it != ids_.end())
            reply.payload.order.quantity -= it->second.adopted_filled;
    apply(reply, &from);
    replies_.post(reply, tail_of(from));
}

// What a reply does to the mirror and the ids (also for journaled replies at a restart).
void FixVenue::apply(const engine::Event& e, const FixMessage* from) {
    const std::uint64_t order_id = e.header.type == engine::EventType::venue_fill
                                       ? e.payload.fill.order_id
                                       : e.payload.order.order_id;
    Ids& ids = ids_[order_id];
    if (from != nullptr && engine::is_adoption(e)) {
        // An adoption (adopt(), or its journaled record at a restart): the order's ClOrdID and
        // what the venue had filled before.
        if (const std::string* cl = from->find(tag::cl_ord_id)) {
            ids.current = *cl;
            by_cl_ord_id_[*cl] = order_id;
        }
        const std::string* cum = from->find(tag::cum_qty);
        const std::string* avg = from->find(tag::avg_px);
        engine::Quantity filled{};
        engine::Price avg_px{};
        engine::Money paid{};
        if (cum != nullptr && avg != nullptr &&
            engine::Quantity::parse(*cum, filled) == engine::DecimalError::ok &&
            engine::Price::parse(*avg, avg_px) == engine::DecimalError::ok &&
            engine::notional(avg_px, filled, paid)) {
            ids.adopted_filled = filled;
            ids.adopted_notional = paid;
        }
        adopted_ = std::max(adopted_, engine::adopted_index(order_id) + 1);
    }
    if (from != nullptr) {
        if (const std::string* v = from->find(tag::order_id); v != nullptr && *v != "NONE") {
            ids.venue_order_id = *v;
            by_venue_order_id_[*v] = order_id;
        }
        if (const std::string* v = from->find(tag::exec_id))
            exec_ids_.insert(*v);
    }
    if (e.header.type == engine::EventType::venue_fill) {
        engine::Money n{};
        if (engine::notional(e.payload.fill.price, e.payload.fill.quantity, n))
            ids.notional.raw += n.raw;
    }
    const bool replace_ack = e.header.type == engine::EventType::venue_ack &&
                             e.payload.order.action == engine::OrderAction::replace;
    if (replace_ack && !ids.pending.empty())
        ids.current = ids.pending;
    if (replace_ack || e.header.type == engine::EventType::venue_reject ||
        e.header.type == engine::EventType::venue_cancel)
        ids.pending.clear();
    (void)book_.apply(e);
}

void FixVenue::restore(const engine::Event& input, std::string_view tail) {
    using engine::EventType;
    const EventType t = input.header.type;
    if (t == EventType::session_start) {
        // A continued journal's ids keep its prefix.
        options_.venue_id_prefix = input.payload.session.venue_id_prefix;
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
    const FixMessage from = parse_tail(tail);
    apply(input, &from);
}

}  // namespace keel::adapters::fix
