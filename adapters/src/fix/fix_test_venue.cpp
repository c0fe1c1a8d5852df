#include "keel/adapters/fix/fix_test_venue.hpp"

#include <algorithm>
#include <sstream>

#include "keel/adapters/fix/fix_codec.hpp"
#include "keel/adapters/venue/venue_reply.hpp"
#include "keel/engine/core/fixed_point.hpp"

namespace keel::adapters::fix {
namespace {

// Tags the venue reads and writes (FIX 4.4).
constexpr int kAvgPx = 6, kClOrdId = 11, kCumQty = 14, kExecId = 17, kLastPx = 31, kLastQty = 32,
              kOrderId = 37, kOrderQty = 38, kOrdStatus = 39, kOrdType = 40, kOrigClOrdId = 41,
              kPrice = 44, kSide = 54, kSymbol = 55, kText = 58, kTimeInForce = 59,
              kTransactTime = 60, kStopPx = 99, kCxlRejReason = 102, kOrdRejReason = 103,
              kExecType = 150, kLeavesQty = 151, kExecRestatementReason = 378,
              kCxlRejResponseTo = 434, kCommission = 12;

std::string decimal(std::int64_t raw) { return engine::decimal_string(raw); }

bool read_decimal(const FixMessage& m, int tag, std::int64_t& raw) {
    const std::string* text = m.find(tag);
    return text != nullptr && engine::parse_decimal(*text, raw) == engine::DecimalError::ok;
}

// A one-character field (Side, OrdType, TimeInForce), 0 when absent or longer.
char one_char(const std::string* s) { return s != nullptr && s->size() == 1 ? (*s)[0] : 0; }

int ord_rej_reason(engine::Reason r) {
    switch (r) {
        case engine::Reason::venue_closed: return 2;
        case engine::Reason::unsupported_order_type: return 11;
        case engine::Reason::insufficient_buying_power: return 3;  // order exceeds limit
        default: return 99;  // other
    }
}

}  // namespace

FixTestVenue::FixTestVenue(FixTestVenueOptions options, engine::SymbolTable symbols)
    : options_(std::move(options)), symbols_(std::move(symbols)) {
    sim_ = std::make_unique<SimVenue>(static_cast<engine::ReplySink&>(*this), options_.matching);
}

FixTestVenue::~FixTestVenue() { stop(); }

bool FixTestVenue::open(std::string& error) {
    endpoint_ = FixEndpoint::create(FixEndpoint::Role::acceptor, options_.session, *this, error);
    if (endpoint_ != nullptr && options_.faults.foreign_order)
        place_foreign_order();
    return endpoint_ != nullptr;
}

// Fault foreign_order: an order another client placed, resting before keel logs on (GTC, on
// the first symbol); its reports went to that client. 1: a limit buy of 1 at 0.0001. 2: a limit
// buy of 3 at 101 that filled 1 at 101 before (the book matches the 2 left).
void FixTestVenue::place_foreign_order() {
    if (symbols_.size() == 0)
        return;
    const bool part_filled = options_.faults.foreign_order == 2;
    FixMessage m;
    m.msg_type = "D";
    m.add(kClOrdId, "foreign-1").add(kSymbol, std::string(symbols_.name(0))).add(kSide, "1");
    m.add(kOrdType, "2").add(kTimeInForce, "1").add(kOrderQty, part_filled ? "2" : "1");
    m.add(kPrice, part_filled ? "101" : "0.0001");
    on_new_order(m);
    outgoing_.clear();
    const auto placed = orders_by_first_.find("foreign-1");
    if (!part_filled || placed == orders_by_first_.end())
        return;
    FixVenueOrder& o = placed->second;
    const engine::Quantity one = engine::Quantity::from_units(1);
    o.quantity += one;
    o.filled = one;
    o.filled_notional = static_cast<engine::i128>(o.price.raw) * one.raw;
    o.ord_status = '1';
}

bool FixTestVenue::poll(std::string& error) {
    if (!endpoint_)
        return false;
    const bool running = endpoint_->poll(error);
    flush_due();
    return running;
}

void FixTestVenue::stop() {
    if (endpoint_)
        endpoint_->stop(true);
}

int FixTestVenue::port() const { return endpoint_ ? endpoint_->port() : 0; }
bool FixTestVenue::logged_on() const { return endpoint_ && endpoint_->logged_on(); }

void FixTestVenue::on_market_data(const engine::Event& event) {
    // Orders are stamped with their arrival; market data with its own, so it matches orders
    // that came before it.
    engine::Event stamped = event;
    stamped.header.ts_ns = wall_clock_ns();
    sim_->on_market_data(stamped);
}

void FixTestVenue::on_logon() {
    ++counters_.logons;
    since_drop_ = 0;
}

bool FixTestVenue::accept_logon(const FixMessage&, std::string& reason) {
    if (!options_.faults.reject_logon)
        return true;
    ++counters_.refused_logons;
    reason = "logon refused by the test venue (fault reject_logon)";
    return false;
}

void FixTestVenue::on_app_message(const FixMessage& m) {
    ++counters_.messages_in;
    record_arrival(m);
    const std::string* id = m.find(kClOrdId);
    const bool request = m.msg_type == "D" || m.msg_type == "F" || m.msg_type == "G";
    if (m.poss_dup && request && id != nullptr && first_of_.count(*id) > 0) {
        // A resend (PossDupFlag) of a request this venue has: ignored, as venues do (and not
        // counted by the faults: nothing new arrived).
        ++counters_.resends_ignored;
        return;
    }
    if (m.msg_type == "D")
        on_new_order(m);
    else if (m.msg_type == "F")
        on_cancel(m);
    else if (m.msg_type == "G")
        on_replace(m);
    else if (m.msg_type == "H")
        on_status(m);
    else if (m.msg_type == "AF")
        on_mass_status(m);
    else
        ++counters_.malformed;
    after_message();
}

void FixTestVenue::after_message() {
    const FixVenueFaults& f = options_.faults;
    if (f.drop_after > 0 && ++since_drop_ >= f.drop_after) {
        since_drop_ = 0;
        ++counters_.drops;
        flush_due();
        endpoint_->disconnect();
    }
    if (f.resend_after > 0 && ++since_resend_ >= f.resend_after && endpoint_->logged_on()) {
        // Forget the last message's sequence number: the next logon asks for it again.
        since_resend_ = 0;
        ++counters_.drops;
        flush_due();
        const std::uint64_t next = endpoint_->next_target_seq();
        endpoint_->disconnect();
        if (next > 1)
            endpoint_->set_next_target_seq(next - 1);
    }
    if (f.reset_after > 0 && ++since_reset_ >= f.reset_after) {
        since_reset_ = 0;
        ++counters_.resets;
        endpoint_->reset_sequences();
    }
}

// An order request's age at arrival, from the time the client first sent it: a resend's
// OrigSendingTime, else its SendingTime. A time that does not parse counts as sent now.
void FixTestVenue::record_arrival(const FixMessage& m) {
    if (m.msg_type != "D" && m.msg_type != "F" && m.msg_type != "G")
        return;
    FixOrderArrival a;
    a.msg_type = m.msg_type;
    const std::string* id = m.find(kClOrdId);
    a.cl_ord_id = id != nullptr ? *id : std::string();
    a.poss_dup = m.poss_dup;
    a.arrived_ns = wall_clock_ns();
    const std::string& sent =
        m.poss_dup && !m.orig_sending_time.empty() ? m.orig_sending_time : m.sending_time;
    a.first_sent_ns = parse_utc_timestamp(sent).value_or(a.arrived_ns);
    const std::int64_t age_ms = (a.arrived_ns - a.first_sent_ns) / 1'000'000;
    counters_.max_order_age_ms = std::max(counters_.max_order_age_ms, age_ms);
    if (options_.max_order_age_ms > 0 && age_ms > options_.max_order_age_ms)
        ++counters_.late_orders;
    arrivals_.push_back(std::move(a));
}

FixVenueOrder* FixTestVenue::by_cl_ord_id(const std::string& id) {
    const auto first = first_of_.find(id);
    if (first == first_of_.end())
        return nullptr;
    return &orders_by_first_.at(first->second);
}

void FixTestVenue::reject_new(const FixMessage& m, int reason, const std::string& text) {
    FixMessage r;
    r.msg_type = "8";
    const std::string* id = m.find(kClOrdId);
    r.add(kOrderId, "NONE").add(kExecId, "X" + std::to_string(next_exec_++));
    r.add(kClOrdId, id != nullptr ? *id : "").add(kExecType, "8").add(kOrdStatus, "8");
    const std::string* side = m.find(kSide);
    r.add(kSide, side != nullptr ? *side : "1");
    const std::string* sym = m.find(kSymbol);
    r.add(kSymbol, sym != nullptr ? *sym : "").add(kLeavesQty, "0").add(kCumQty, "0");
    r.add(kAvgPx, "0").add(kOrdRejReason, std::to_string(reason)).add(kText, text);
    r.add(kTransactTime, utc_timestamp(wall_clock_ns()));
    queue(std::move(r));
}

void FixTestVenue::on_new_order(const FixMessage& m) {
    const std::string* id = m.find(kClOrdId);
    const std::string* sym = m.find(kSymbol);
    const auto side = side_from(one_char(m.find(kSide)));
    const auto type = ord_type_from(one_char(m.find(kOrdType)));
    const auto tif = m.find(kTimeInForce) == nullptr ? engine::TimeInForce::day
                                                     : tif_from(one_char(m.find(kTimeInForce)));
    std::int64_t qty = 0;
    if (id == nullptr || id->empty() || sym == nullptr || !side || !type || !tif ||
        !read_decimal(m, kOrderQty, qty) || qty <= 0) {
        ++counters_.malformed;
        return reject_new(m, 99, "malformed NewOrderSingle: ClOrdID, Symbol, Side, OrdType, "
                                 "TimeInForce and a positive OrderQty are required");
    }
    if (first_of_.count(*id) > 0) {
        ++counters_.duplicate_cl_ord_ids;
        return reject_new(m, 6, "duplicate ClOrdID " + *id);
    }
    const auto symbol = symbols_.find(*sym);
    if (!symbol)
        return reject_new(m, 1, "unknown symbol " + *sym);
    FixVenueOrder o;
    o.cl_ord_id = o.first_cl_ord_id = *id;
    o.order_id = "V" + std::to_string(next_internal_);
    o.symbol = *sym;
    o.side = *side;
    o.type = *type;
    o.tif = *tif;
    o.quantity.raw = qty;
    (void)read_decimal(m, kPrice, o.price.raw);
    (void)read_decimal(m, kStopPx, o.stop_price.raw);
    const std::uint64_t internal = next_internal_++ << 2;
    first_of_[*id] = *id;
    first_by_internal_[internal] = *id;
    internal_by_first_[*id] = internal;
    orders_by_first_[*id] = o;
    engine::Event e = engine::make_event(engine::EventType::order_sent, engine::Source::engine, 0,
                                         wall_clock_ns(), *symbol);
    e.payload.order = {};
    e.payload.order.order_id = internal;
    e.payload.order.price = o.price;
    e.payload.order.stop_price = o.stop_price;
    e.payload.order.quantity = o.quantity;
    e.payload.order.side = o.side;
    e.payload.order.order_type = o.type;
    e.payload.order.tif = o.tif;
    e.payload.order.action = engine::OrderAction::new_order;
    e.payload.order.status = engine::OrderStatus::sent;
    sim_->submit(e);
}

void FixTestVenue::cancel_reject(const FixMessage& request, const std::string& orig,
                                 int response_to, const std::string& text) {
    FixMessage r;
    r.msg_type = "9";
    const std::string* id = request.find(kClOrdId);
    FixVenueOrder* o = by_cl_ord_id(orig);
    r.add(kOrderId, o != nullptr ? o->order_id : "NONE");
    r.add(kClOrdId, id != nullptr ? *id : "").add(kOrigClOrdId, orig);
    r.add(kOrdStatus, std::string(1, o != nullptr ? o->ord_status : '8'));
    r.add(kCxlRejResponseTo, std::to_string(response_to));
    r.add(kCxlRejReason, o != nullptr ? "0" : "1").add(kText, text);
    queue(std::move(r));
}

// A cancel (response_to 1) or replace (2): the checks both share, then the simulator's request
// for the order, or null after refusing it with an OrderCancelReject.
engine::Event* FixTestVenue::begin_request(const FixMessage& m, int response_to, bool has_qty) {
    const std::string* id = m.find(kClOrdId);
    const std::string* orig = m.find(kOrigClOrdId);
    FixVenueOrder* o = orig != nullptr ? by_cl_ord_id(*orig) : nullptr;
    if (id == nullptr || orig == nullptr || !has_qty) {
        ++counters_.malformed;
        cancel_reject(m, orig != nullptr ? *orig : "", response_to,
                      response_to == 1 ? "ClOrdID and OrigClOrdID required"
                                       : "ClOrdID, OrigClOrdID and a positive OrderQty required");
        return nullptr;
    }
    if (o == nullptr) {
        ++counters_.unknown_orders;
        cancel_reject(m, *orig, response_to, "unknown order " + *orig);
        return nullptr;
    }
    if (first_of_.count(*id) > 0) {
        ++counters_.duplicate_cl_ord_ids;
        cancel_reject(m, *orig, response_to, "duplicate ClOrdID " + *id);
        return nullptr;
    }
    first_of_[*id] = o->first_cl_ord_id;
    o->pending_cl_ord_id = *id;
    engine::Event& e = o->pending;
    e = engine::make_event(engine::EventType::order_sent, engine::Source::engine, 0,
                           wall_clock_ns(), *symbols_.find(o->symbol));
    e.payload.order = {};
    e.payload.order.order_id = internal_by_first_.at(o->first_cl_ord_id);
    e.payload.order.side = o->side;
    e.payload.order.order_type = o->type;
    e.payload.order.tif = o->tif;
    e.payload.order.quantity = o->quantity;
    e.payload.order.price = o->price;
    e.payload.order.stop_price = o->stop_price;
    e.payload.order.action =
        response_to == 1 ? engine::OrderAction::cancel : engine::OrderAction::replace;
    e.payload.order.status = engine::OrderStatus::sent;
    return &e;
}

void FixTestVenue::on_cancel(const FixMessage& m) {
    if (engine::Event* e = begin_request(m, 1, true))
        sim_->submit(*e);
}

void FixTestVenue::on_replace(const FixMessage& m) {
    std::int64_t qty = 0;
    engine::Event* e = begin_request(m, 2, read_decimal(m, kOrderQty, qty) && qty > 0);
    if (e == nullptr)
        return;
    e->payload.order.quantity.raw = qty;
    (void)read_decimal(m, kPrice, e->payload.order.price.raw);
    (void)read_decimal(m, kStopPx, e->payload.order.stop_price.raw);
    sim_->submit(*e);
}

void FixTestVenue::on_status(const FixMessage& m) {
    const std::string* id = m.find(kClOrdId);
    FixVenueOrder* o = id != nullptr ? by_cl_ord_id(*id) : nullptr;
    if (o == nullptr || options_.faults.unknown_status) {
        if (o == nullptr)
            ++counters_.unknown_orders;
        FixMessage r;
        r.msg_type = "8";
        r.add(kOrderId, "NONE").add(kExecId, "X" + std::to_string(next_exec_++));
        r.add(kClOrdId, id != nullptr ? *id : "").add(kExecType, "I").add(kOrdStatus, "8");
        const std::string* side = m.find(kSide);
        r.add(kSide, side != nullptr ? *side : "1");
        const std::string* sym = m.find(kSymbol);
        r.add(kSymbol, sym != nullptr ? *sym : "").add(kLeavesQty, "0").add(kCumQty, "0");
        r.add(kAvgPx, "0").add(kOrdRejReason, "5").add(kText, "unknown order");
        return queue(std::move(r));
    }
    report(*o, 'I', o->cl_ord_id);
}

// OrderMassStatusRequest (585=7, all orders): a status report (ExecType I) for every order
// it holds, working or done, each with the request's id (584), their count (911) and 912=Y on
// the last; none: one report with 911=0.
void FixTestVenue::on_mass_status(const FixMessage& m) {
    constexpr int kMassStatusReqId = 584, kTotNumReports = 911, kLastRptRequested = 912;
    const std::string* id = m.find(kMassStatusReqId);
    if (id == nullptr) {
        ++counters_.malformed;
        return;
    }
    std::vector<FixVenueOrder*> all;
    for (auto& entry : orders_by_first_)
        all.push_back(&entry.second);
    const std::string total = std::to_string(all.size());
    if (all.empty()) {
        FixMessage r;
        r.msg_type = "8";
        r.add(kOrderId, "NONE").add(kExecId, "X" + std::to_string(next_exec_++));
        r.add(kExecType, "I").add(kOrdStatus, "0").add(kSide, "1").add(kLeavesQty, "0");
        r.add(kCumQty, "0").add(kAvgPx, "0").add(kMassStatusReqId, *id);
        r.add(kTotNumReports, "0").add(kLastRptRequested, "Y");
        return queue(std::move(r));
    }
    for (FixVenueOrder* o : all) {
        const bool last = o == all.back();
        report(*o, 'I', o->cl_ord_id, {},
               {{kMassStatusReqId, *id}, {kTotNumReports, total},
                {kLastRptRequested, last ? "Y" : "N"}});
    }
}

void FixTestVenue::report(FixVenueOrder& o, char exec_type, const std::string& cl_ord_id,
                          const std::string& orig, const std::vector<FixField>& extra) {
    FixMessage r;
    r.msg_type = "8";
    r.add(kOrderId, o.order_id).add(kExecId, "E" + std::to_string(next_exec_++));
    r.add(kClOrdId, cl_ord_id);
    if (!orig.empty())
        r.add(kOrigClOrdId, orig);
    if (exec_type == 'D')
        r.add(kExecRestatementReason, "5");  // broker option
    r.add(kExecType, std::string(1, exec_type)).add(kOrdStatus, std::string(1, o.ord_status));
    r.add(kSymbol, o.symbol).add(kSide, o.side == engine::Side::buy ? "1" : "2");
    r.add(kOrderQty, decimal(o.quantity.raw));
    r.add(kOrdType, std::string(1, ord_type_char(o.type)));
    r.add(kTimeInForce, std::string(1, tif_char(o.tif)));
    if (o.price.raw != 0)
        r.add(kPrice, decimal(o.price.raw));
    if (o.stop_price.raw != 0)
        r.add(kStopPx, decimal(o.stop_price.raw));
    const bool open = o.ord_status == '0' || o.ord_status == '1' || o.ord_status == 'A';
    r.add(kLeavesQty, decimal(open ? o.quantity.raw - o.filled.raw : 0));
    r.add(kCumQty, decimal(o.filled.raw));
    const std::int64_t avg =
        o.filled.raw > 0 ? static_cast<std::int64_t>(o.filled_notional / o.filled.raw) : 0;
    r.add(kAvgPx, decimal(avg)).add(kTransactTime, utc_timestamp(wall_clock_ns()));
    for (const FixField& f : extra)
        r.add(f.tag, f.value);
    queue(std::move(r));
}

void FixTestVenue::fill_report(FixVenueOrder& o, const engine::FillPayload& fill) {
    o.filled.raw += fill.quantity.raw;
    o.filled_notional += static_cast<engine::i128>(fill.price.raw) * fill.quantity.raw;
    o.ord_status = o.filled.raw >= o.quantity.raw ? '2' : '1';
    std::ostringstream f;
    f << R"({"cl_ord_id":")" << o.first_cl_ord_id << R"(","symbol":")" << o.symbol
      << R"(","side":")" << (o.side == engine::Side::buy ? "buy" : "sell") << R"(","qty":")"
      << decimal(fill.quantity.raw) << R"(","price":")" << decimal(fill.price.raw)
      << R"(","fee":")" << decimal(fill.fee.raw) << "\"}";
    fills_.push_back(f.str());
    FixMessage r;
    r.msg_type = "8";
    r.add(kOrderId, o.order_id).add(kExecId, "E" + std::to_string(next_exec_++));
    r.add(kClOrdId, o.cl_ord_id).add(kExecType, "F");
    r.add(kOrdStatus, std::string(1, o.ord_status)).add(kSymbol, o.symbol);
    r.add(kSide, o.side == engine::Side::buy ? "1" : "2").add(kOrderQty, decimal(o.quantity.raw));
    r.add(kLastQty, decimal(fill.quantity.raw)).add(kLastPx, decimal(fill.price.raw));
    r.add(kLeavesQty, decimal(o.quantity.raw - o.filled.raw)).add(kCumQty, decimal(o.filled.raw));
    r.add(kAvgPx, decimal(static_cast<std::int64_t>(o.filled_notional / o.filled.raw)));
    if (fill.fee.raw != 0)
        r.add(kCommission, decimal(fill.fee.raw));
    r.add(kTransactTime, utc_timestamp(wall_clock_ns()));
    queue(std::move(r));
}

void FixTestVenue::post(const engine::Event& reply) noexcept {
    const std::uint64_t internal = reply.header.type == engine::EventType::venue_fill
                                       ? reply.payload.fill.order_id
                                       : reply.payload.order.order_id;
    const auto first = first_by_internal_.find(internal);
    if (first == first_by_internal_.end())
        return;
    FixVenueOrder& o = orders_by_first_.at(first->second);
    const engine::OrderPayload& p = reply.payload.order;
    switch (reply.header.type) {
        case engine::EventType::venue_fill:
            return fill_report(o, reply.payload.fill);
        case engine::EventType::venue_ack:
            if (p.action == engine::OrderAction::replace) {
                o.quantity = o.pending.payload.order.quantity;
                o.price = o.pending.payload.order.price;
                o.stop_price = o.pending.payload.order.stop_price;
                const std::string replaced = o.cl_ord_id;
                o.cl_ord_id = o.pending_cl_ord_id;
                o.pending_cl_ord_id.clear();
                o.ord_status = o.filled.raw > 0 ? '1' : '0';
                return report(o, '5', o.cl_ord_id, replaced);
            }
            o.ord_status = '0';
            report(o, '0', o.cl_ord_id);
            if (options_.faults.restate_every > 0 && ++accepted_ % options_.faults.restate_every == 0) {
                ++counters_.restated;
                report(o, 'D', o.cl_ord_id);
            }
            return;
        case engine::EventType::venue_reject:
            if (p.action == engine::OrderAction::new_order) {
                o.ord_status = '8';
                FixMessage request;
                request.add(kClOrdId, o.cl_ord_id).add(kSide, o.side == engine::Side::buy ? "1" : "2");
                request.add(kSymbol, o.symbol);
                return reject_new(request, ord_rej_reason(p.reason),
                                  std::string(engine::to_string(p.reason)));
            }
            {
                FixMessage request;
                request.add(kClOrdId, o.pending_cl_ord_id);
                o.pending_cl_ord_id.clear();
                return cancel_reject(request, o.cl_ord_id,
                                     p.action == engine::OrderAction::replace ? 2 : 1,
                                     std::string(engine::to_string(p.reason)));
            }
        case engine::EventType::venue_cancel: {
            const bool expiry = engine::is_expiry(p.reason);
            o.ord_status = expiry ? 'C' : '4';
            const std::string id = !expiry && !o.pending_cl_ord_id.empty() ? o.pending_cl_ord_id
                                                                           : o.cl_ord_id;
            report(o, expiry ? 'C' : '4', id, id != o.cl_ord_id ? o.cl_ord_id : std::string());
            o.pending_cl_ord_id.clear();
            return;
        }
        default:
            return;
    }
}

void FixTestVenue::queue(FixMessage m) {
    const FixVenueFaults& f = options_.faults;
    ++reports_made_;
    if (f.drop_report_every > 0 && reports_made_ % f.drop_report_every == 0) {
        ++counters_.dropped_reports;
        return;
    }
    const auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(f.delay_ms);
    if (f.duplicate_every > 0 && reports_made_ % f.duplicate_every == 0) {
        ++counters_.duplicated_reports;
        outgoing_.push_back({due, m});
    }
    outgoing_.push_back({due, std::move(m)});
    flush_due();
}

void FixTestVenue::flush_due() {
    const auto now = std::chrono::steady_clock::now();
    while (!outgoing_.empty() && outgoing_.front().due <= now && endpoint_ &&
           endpoint_->logged_on()) {
        std::string error;
        if (!endpoint_->send(outgoing_.front().message, error))
            return;  // kept: sent once the session is back
        ++counters_.reports_sent;
        outgoing_.pop_front();
    }
}

std::string FixTestVenue::account_json() const {
    std::ostringstream out;
    out << R"({"cash":")" << decimal(sim_->cash().raw) << R"(","positions":{)";
    bool first = true;
    for (std::size_t i = 0; i < symbols_.size(); ++i) {
        const auto id = static_cast<engine::SymbolId>(i);
        out << (first ? "" : ",") << '"' << symbols_.name(id) << "\":\""
            << decimal(sim_->position_raw(id)) << '"';
        first = false;
    }
    out << R"(},"fills":[)";
    for (std::size_t i = 0; i < fills_.size(); ++i)
        out << (i > 0 ? "," : "") << fills_[i];
    const FixTestVenueCounters& c = counters_;
    out << R"(],"orders":)" << orders_by_first_.size() << R"(,"open_orders":)"
        << sim_->open_orders().size()
        << R"(,"duplicate_cl_ord_ids":)" << c.duplicate_cl_ord_ids
        << R"(,"late_orders":)" << c.late_orders << R"(,"max_order_age_ms":)"
        << c.max_order_age_ms
        << R"(,"unknown_orders":)" << c.unknown_orders << R"(,"malformed":)" << c.malformed
        << R"(,"messages_in":)" << c.messages_in << R"(,"reports_sent":)" << c.reports_sent
        << R"(,"drops":)" << c.drops << R"(,"dropped_reports":)" << c.dropped_reports
        << R"(,"duplicated_reports":)" << c.duplicated_reports << R"(,"restated":)"
        << c.restated << R"(,"resets":)" << c.resets << R"(,"logons":)" << c.logons
        << R"(,"refused_logons":)" << c.refused_logons << R"(,"resends_ignored":)"
        << c.resends_ignored << "}";
    return out.str();
}

}  // namespace keel::adapters::fix
