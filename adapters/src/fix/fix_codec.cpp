#include "keel/adapters/fix/fix_codec.hpp"

#include <cstdio>
#include <ctime>

#include "keel/adapters/parse/timestamp.hpp"

#include <charconv>

#include "keel/adapters/venue/venue_reply.hpp"
#include "keel/assert.hpp"
#include "keel/engine/core/name_table.hpp"
#include "keel/engine/orders/order_state.hpp"

namespace keel::adapters::fix {

using engine::Event;
using engine::EventType;
using engine::Money;
using engine::OrderAction;
using engine::OrderStatus;
using engine::OrderType;
using engine::Price;
using engine::Quantity;
using engine::Reason;
using engine::Side;
using engine::TimeInForce;

// --- times ---

std::string utc_timestamp(std::int64_t ns) {
    const std::int64_t s = ns >= 0 ? ns / 1'000'000'000 : (ns - 999'999'999) / 1'000'000'000;
    const std::time_t t = static_cast<std::time_t>(s);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    const std::size_t n = std::strftime(buf, sizeof buf, "%Y%m%d-%H:%M:%S", &tm);
    char ms[8];
    std::snprintf(ms, sizeof ms, ".%03d", static_cast<int>((ns - s * 1'000'000'000) / 1'000'000));
    return std::string(buf, n) + ms;
}

std::optional<std::int64_t> parse_utc_timestamp(std::string_view t) noexcept {
    if (t.size() < 17 || t[8] != '-')
        return std::nullopt;
    char iso[64];
    if (t.size() + 4 > sizeof iso)
        return std::nullopt;
    // YYYYMMDD-HH:MM:SS[.f] as ISO-8601: YYYY-MM-DDTHH:MM:SS[.f]Z.
    std::size_t n = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (i == 4 || i == 6)
            iso[n++] = '-';
        iso[n++] = i == 8 ? 'T' : t[i];
    }
    iso[n++] = 'Z';
    return parse_timestamp_ns(std::string_view(iso, n));
}

// --- names and enums ---

namespace {

constexpr engine::Named<int> kTagNames[] = {
    {tag::avg_px, "AvgPx"},
    {tag::commission, "Commission"},
    {tag::cl_ord_id, "ClOrdID"},
    {tag::cum_qty, "CumQty"},
    {tag::exec_id, "ExecID"},
    {tag::last_px, "LastPx"},
    {tag::last_qty, "LastQty"},
    {tag::msg_type, "MsgType"},
    {tag::order_id, "OrderID"},
    {tag::order_qty, "OrderQty"},
    {tag::ord_status, "OrdStatus"},
    {tag::ord_type, "OrdType"},
    {tag::orig_cl_ord_id, "OrigClOrdID"},
    {tag::price, "Price"},
    {tag::side, "Side"},
    {tag::symbol, "Symbol"},
    {tag::text, "Text"},
    {tag::time_in_force, "TimeInForce"},
    {tag::transact_time, "TransactTime"},
    {tag::stop_px, "StopPx"},
    {tag::cxl_rej_reason, "CxlRejReason"},
    {tag::ord_rej_reason, "OrdRejReason"},
    {tag::exec_type, "ExecType"},
    {tag::leaves_qty, "LeavesQty"},
    {tag::exec_restatement_reason, "ExecRestatementReason"},
    {tag::cxl_rej_response_to, "CxlRejResponseTo"},
    {tag::mass_status_req_id, "MassStatusReqID"},
    {tag::mass_status_req_type, "MassStatusReqType"},
    {tag::tot_num_reports, "TotNumReports"},
    {tag::last_rpt_requested, "LastRptRequested"},
};

// Every ExecType (150) and OrdStatus (39) value FIX 4.4 defines: anything else is malformed.
constexpr std::string_view kExecTypes = "03456789ABCDEFGHIL";
constexpr std::string_view kOrdStatuses = "0123456789ABCDE";

}  // namespace

std::string_view tag_name(int t) noexcept {
    return engine::name_of(kTagNames, t, "tag");
}

char side_char(Side side) noexcept {
    switch (side) {
        case Side::buy:
            return '1';
        case Side::sell:
            return '2';
        case Side::none:
            break;
    }
    return 0;
}

std::optional<Side> side_from(char c) noexcept {
    if (c == '1')
        return Side::buy;
    if (c == '2')
        return Side::sell;
    return std::nullopt;
}

char ord_type_char(OrderType type) noexcept {
    switch (type) {
        case OrderType::market:
            return '1';
        case OrderType::limit:
            return '2';
        case OrderType::stop:
            return '3';
        case OrderType::stop_limit:
            return '4';
        case OrderType::trailing_stop:
            break;
    }
    return 0;
}

std::optional<OrderType> ord_type_from(char c) noexcept {
    if (c < '1' || c > '4')
        return std::nullopt;
    return static_cast<OrderType>(c - '0');
}

char tif_char(TimeInForce tif) noexcept {
    switch (tif) {
        case TimeInForce::day:
            return '0';
        case TimeInForce::gtc:
            return '1';
        case TimeInForce::ioc:
            return '3';
        case TimeInForce::fok:
            return '4';
    }
    return 0;
}

std::optional<TimeInForce> tif_from(char c) noexcept {
    switch (c) {
        case '0':
            return TimeInForce::day;
        case '1':
            return TimeInForce::gtc;
        case '3':
            return TimeInForce::ioc;
        case '4':
            return TimeInForce::fok;
        default:
            return std::nullopt;
    }
}

Reason reason_from_ord_rej(int ord_rej_reason) noexcept {
    switch (ord_rej_reason) {
        case 2:
            return Reason::venue_closed;
        case 5:
            return Reason::venue_unknown_order;
        case 6:
            return Reason::duplicate_order;
        case 11:
            return Reason::unsupported_order_type;
        case 13:
            return Reason::invalid_order;
        default:
            return Reason::venue_rejected;
    }
}

Reason reason_from_cxl_rej(int cxl_rej_reason) noexcept {
    switch (cxl_rej_reason) {
        case 1:
            return Reason::venue_unknown_order;
        case 6:
            return Reason::duplicate_order;
        default:
            return Reason::venue_rejected;
    }
}

// --- encoding ---

namespace {

[[nodiscard]] bool has_limit(OrderType t) noexcept {
    return t == OrderType::limit || t == OrderType::stop_limit;
}
[[nodiscard]] bool has_stop(OrderType t) noexcept {
    return t == OrderType::stop || t == OrderType::stop_limit;
}

// Exact decimal text of a fixed-point value (format_decimal: shortest, no exponent). Only
// positive values reach it: the checks before refuse the rest.
[[nodiscard]] std::string decimal_text(std::int64_t raw) {
    KEEL_ASSERT(raw > 0, "FIX prices and quantities keel writes are positive");
    char buf[engine::kMaxDecimalChars];
    const int n = engine::format_decimal(raw, buf);
    return std::string(buf, static_cast<std::size_t>(n));
}

[[nodiscard]] Encoded refused(Reason reason, std::string why) {
    Encoded e;
    e.refused = reason;
    e.why = std::move(why);
    return e;
}

// Why an order's terms cannot go out as a new order or replace; nullopt when they can.
[[nodiscard]] std::optional<Encoded> refuse_terms(const engine::OrderPayload& o) {
    if (o.order_type == OrderType::trailing_stop)
        return refused(Reason::unsupported_order_type,
                       "trailing_stop: FIX 4.4 has no portable trailing stop order type");
    if (ord_type_char(o.order_type) == 0)
        return refused(Reason::unsupported_order_type, "unknown order type");
    if (side_char(o.side) == 0)
        return refused(Reason::invalid_order, "the order has no side");
    if (tif_char(o.tif) == 0)
        return refused(Reason::invalid_order, "unknown time in force");
    if (o.quantity.raw <= 0)
        return refused(Reason::invalid_order, "quantity must be positive");
    if (has_limit(o.order_type) && o.price.raw <= 0)
        return refused(Reason::invalid_order, "a limit order needs a positive limit price");
    if (has_stop(o.order_type) && o.stop_price.raw <= 0)
        return refused(Reason::invalid_order, "a stop order needs a positive stop price");
    return std::nullopt;
}

[[nodiscard]] std::optional<Encoded> refuse_ids(std::string_view cl_ord_id,
                                                std::string_view symbol) {
    if (cl_ord_id.empty())
        return refused(Reason::invalid_order, "empty ClOrdID");
    if (symbol.empty())
        return refused(Reason::invalid_order, "empty symbol");
    return std::nullopt;
}

// 38, 40, 44 / 99 and 59: the terms a new order and a replace both carry.
void add_terms(FixMessage& m, const engine::OrderPayload& o) {
    m.add(tag::order_qty, decimal_text(o.quantity.raw));
    m.add(tag::ord_type, std::string(1, ord_type_char(o.order_type)));
    if (has_limit(o.order_type))
        m.add(tag::price, decimal_text(o.price.raw));
    if (has_stop(o.order_type))
        m.add(tag::stop_px, decimal_text(o.stop_price.raw));
    m.add(tag::time_in_force, std::string(1, tif_char(o.tif)));
}

[[nodiscard]] FixMessage start(std::string_view type, std::string_view cl_ord_id) {
    FixMessage m;
    m.msg_type = std::string(type);
    m.add(tag::cl_ord_id, std::string(cl_ord_id));
    return m;
}

}  // namespace

Encoded encode_new_order(const engine::OrderPayload& order, std::string_view cl_ord_id,
                         std::string_view symbol, std::string_view transact_time) {
    if (auto no = refuse_terms(order))
        return std::move(*no);
    if (auto no = refuse_ids(cl_ord_id, symbol))
        return std::move(*no);
    Encoded e;
    e.message = start(msg::new_order_single, cl_ord_id);
    e.message.add(tag::symbol, std::string(symbol));
    e.message.add(tag::side, std::string(1, side_char(order.side)));
    e.message.add(tag::transact_time, std::string(transact_time));
    add_terms(e.message, order);
    return e;
}

Encoded encode_cancel(const engine::OrderPayload& order, std::string_view cl_ord_id,
                      std::string_view orig_cl_ord_id, std::string_view symbol,
                      std::string_view transact_time) {
    if (side_char(order.side) == 0)
        return refused(Reason::invalid_order, "the order has no side");
    if (order.quantity.raw <= 0)
        return refused(Reason::invalid_order, "quantity must be positive");
    if (auto no = refuse_ids(cl_ord_id, symbol))
        return std::move(*no);
    if (orig_cl_ord_id.empty())
        return refused(Reason::invalid_order, "empty OrigClOrdID");
    Encoded e;
    e.message = start(msg::order_cancel_request, cl_ord_id);
    e.message.add(tag::orig_cl_ord_id, std::string(orig_cl_ord_id));
    e.message.add(tag::symbol, std::string(symbol));
    e.message.add(tag::side, std::string(1, side_char(order.side)));
    e.message.add(tag::order_qty, decimal_text(order.quantity.raw));
    e.message.add(tag::transact_time, std::string(transact_time));
    return e;
}

Encoded encode_replace(const engine::OrderPayload& order, std::string_view cl_ord_id,
                       std::string_view orig_cl_ord_id, std::string_view symbol,
                       std::string_view transact_time) {
    if (auto no = refuse_terms(order))
        return std::move(*no);
    if (auto no = refuse_ids(cl_ord_id, symbol))
        return std::move(*no);
    if (orig_cl_ord_id.empty())
        return refused(Reason::invalid_order, "empty OrigClOrdID");
    Encoded e;
    e.message = start(msg::order_cancel_replace_request, cl_ord_id);
    e.message.add(tag::orig_cl_ord_id, std::string(orig_cl_ord_id));
    e.message.add(tag::symbol, std::string(symbol));
    e.message.add(tag::side, std::string(1, side_char(order.side)));
    e.message.add(tag::transact_time, std::string(transact_time));
    add_terms(e.message, order);
    return e;
}

Encoded encode_status_request(std::string_view cl_ord_id, std::string_view symbol, Side side) {
    if (side_char(side) == 0)
        return refused(Reason::invalid_order, "the order has no side");
    if (auto no = refuse_ids(cl_ord_id, symbol))
        return std::move(*no);
    Encoded e;
    e.message = start(msg::order_status_request, cl_ord_id);
    e.message.add(tag::symbol, std::string(symbol));
    e.message.add(tag::side, std::string(1, side_char(side)));
    return e;
}

FixMessage encode_mass_status_request(std::string_view mass_status_req_id) {
    FixMessage m;
    m.msg_type = std::string(msg::order_mass_status_request);
    m.add(tag::mass_status_req_id, std::string(mass_status_req_id));
    m.add(tag::mass_status_req_type, "7");  // 7 = status of all orders
    return m;
}

// --- decoding ---

namespace {

// Reads fields of one message, keeping the first problem met; every read after a problem still
// runs but changes nothing that matters (the caller returns the error).
class FieldReader {
  public:
    explicit FieldReader(const FixMessage& m) : m_(m) {}

    [[nodiscard]] const std::optional<DecodeError>& error() const noexcept { return error_; }

    // A string field; false when absent (an error if required) or empty.
    bool text(int t, std::string& out, bool required) {
        const std::string* v = get(t, required);
        if (v == nullptr)
            return false;
        out = *v;
        return true;
    }

    // A one-character field that must be one of `allowed`.
    bool one_char(int t, char& out, bool required, std::string_view allowed) {
        const std::string* v = get(t, required);
        if (v == nullptr)
            return false;
        if (v->size() != 1 || allowed.find((*v)[0]) == std::string_view::npos) {
            fail(t, "'" + *v + "' is not a valid value");
            return false;
        }
        out = (*v)[0];
        return true;
    }

    // An exact decimal into a fixed-point value; quantities (non_negative) may not be below 0.
    template <class F>
    bool decimal(int t, F& out, bool required, bool non_negative) {
        const std::string* v = get(t, required);
        if (v == nullptr)
            return false;
        std::int64_t raw = 0;
        const engine::DecimalError e = engine::parse_decimal(*v, raw);
        if (e != engine::DecimalError::ok) {
            fail(t, "'" + *v + "' is not a decimal (" + std::string(engine::to_string(e)) + ")");
            return false;
        }
        if (non_negative && raw < 0) {
            fail(t, "'" + *v + "' is negative");
            return false;
        }
        out = F::from_raw(raw);
        return true;
    }

    // A non-negative integer (reason codes, counts).
    bool integer(int t, int& out, bool required) {
        const std::string* v = get(t, required);
        if (v == nullptr)
            return false;
        int value = 0;
        const char* end = v->data() + v->size();
        const auto [p, ec] = std::from_chars(v->data(), end, value);
        if (ec != std::errc{} || p != end || value < 0) {
            fail(t, "'" + *v + "' is not a non-negative integer");
            return false;
        }
        out = value;
        return true;
    }

    void fail(int t, std::string what) {
        if (!error_)
            error_ = DecodeError{
                t, std::string(tag_name(t)) + " (" + std::to_string(t) + ") " + std::move(what)};
    }

  private:
    const std::string* get(int t, bool required) {
        const std::string* v = m_.find(t);
        if (v == nullptr || v->empty()) {
            if (required)
                fail(t, v == nullptr ? "is missing" : "is empty");
            return nullptr;
        }
        return v;
    }

    const FixMessage& m_;
    std::optional<DecodeError> error_;
};

[[nodiscard]] std::optional<DecodeError> wrong_type(const FixMessage& m, std::string_view want) {
    if (m.msg_type == want)
        return std::nullopt;
    return DecodeError{tag::msg_type,
                       "MsgType (35) '" + m.msg_type + "' is not '" + std::string(want) + "'"};
}

// Reports the venue may send on its own initiative: ClOrdID optional (fix_codec.hpp).
[[nodiscard]] bool may_be_unsolicited(char exec_type) noexcept {
    return std::string_view("ID3C4").find(exec_type) != std::string_view::npos;
}

void read_side(FieldReader& r, engine::Side& out) {
    char c = 0;
    if (!r.one_char(tag::side, c, true, "12"))
        return;
    out = *side_from(c);
}

// The identifying and state fields every report carries.
void read_report_head(FieldReader& r, ExecReport& out) {
    r.text(tag::order_id, out.order_id, true);
    r.text(tag::exec_id, out.exec_id, true);
    r.one_char(tag::exec_type, out.exec_type, true, kExecTypes);
    r.one_char(tag::ord_status, out.ord_status, true, kOrdStatuses);
    r.text(tag::cl_ord_id, out.cl_ord_id, !may_be_unsolicited(out.exec_type));
    r.text(tag::orig_cl_ord_id, out.orig_cl_ord_id, false);
    r.text(tag::symbol, out.symbol, false);
    read_side(r, out.side);
    r.text(tag::text, out.text, false);
    r.text(tag::transact_time, out.transact_time, false);
    r.one_char(tag::ord_type, out.ord_type, false, "123456789ABCDEFGHIJKLMNP");
    r.one_char(tag::time_in_force, out.time_in_force, false, "0123456789");
}

void read_report_numbers(FieldReader& r, ExecReport& out) {
    const bool trade = out.exec_type == 'F';
    r.decimal(tag::cum_qty, out.cum_qty, true, true);
    r.decimal(tag::leaves_qty, out.leaves_qty, true, true);
    if (r.decimal(tag::last_qty, out.last_qty, trade, true) && trade && out.last_qty.raw == 0)
        r.fail(tag::last_qty, "is 0 on a trade");
    r.decimal(tag::last_px, out.last_px, trade, false);
    out.has_avg_px = r.decimal(tag::avg_px, out.avg_px, out.exec_type == 'I', false);
    out.has_order_qty = r.decimal(tag::order_qty, out.order_qty, false, true);
    out.has_price = r.decimal(tag::price, out.price, false, false);
    out.has_stop_px = r.decimal(tag::stop_px, out.stop_px, false, false);
    out.has_commission = r.decimal(tag::commission, out.commission, false, false);
    r.integer(tag::ord_rej_reason, out.ord_rej_reason, false);
    r.integer(tag::exec_restatement_reason, out.exec_restatement_reason, false);
    r.text(tag::mass_status_req_id, out.mass_status_req_id, false);
    r.integer(tag::tot_num_reports, out.tot_num_reports, false);
    char last = 0;
    if (r.one_char(tag::last_rpt_requested, last, false, "YN"))
        out.last_rpt_requested = last == 'Y';
}

}  // namespace

std::optional<DecodeError> decode_execution_report(const FixMessage& message, ExecReport& out) {
    out = ExecReport{};
    if (auto e = wrong_type(message, msg::execution_report))
        return e;
    FieldReader r(message);
    read_report_head(r, out);
    if (!r.error())
        read_report_numbers(r, out);
    return r.error();
}

std::optional<DecodeError> decode_cancel_reject(const FixMessage& message, CancelReject& out) {
    out = CancelReject{};
    if (auto e = wrong_type(message, msg::order_cancel_reject))
        return e;
    FieldReader r(message);
    r.text(tag::cl_ord_id, out.cl_ord_id, true);
    r.text(tag::orig_cl_ord_id, out.orig_cl_ord_id, true);
    r.text(tag::order_id, out.order_id, true);
    r.one_char(tag::ord_status, out.ord_status, true, kOrdStatuses);
    if (r.integer(tag::cxl_rej_response_to, out.response_to, true) && out.response_to != 1 &&
        out.response_to != 2)
        r.fail(tag::cxl_rej_response_to,
               "'" + std::to_string(out.response_to) + "' is neither 1 (cancel) nor 2 (replace)");
    r.integer(tag::cxl_rej_reason, out.cxl_rej_reason, false);
    r.text(tag::text, out.text, false);
    return r.error();
}

// --- mapping ---

namespace {

// A reply about the known order, in every venue's shape (venue/venue_reply.hpp).
[[nodiscard]] Event order_reply(EventType type, const KnownOrder& k, std::int64_t ts_ns,
                                OrderStatus status, Reason reason, OrderAction action) noexcept {
    return adapters::order_reply(type, k, k.owner, ts_ns, status, reason, action);
}

[[nodiscard]] Event canceled(const KnownOrder& k, std::int64_t ts_ns) noexcept {
    return order_reply(EventType::venue_cancel, k, ts_ns, OrderStatus::canceled,
                       Reason::canceled_on_request, OrderAction::cancel);
}

// A rejected order: a reject where the state table takes one, else the venue dropped an order
// keel holds working, which only a cancel can end.
[[nodiscard]] Event rejected(const KnownOrder& k, int ord_rej_reason, std::int64_t ts_ns) noexcept {
    const Reason reason = reason_from_ord_rej(ord_rej_reason);
    if (k.state == OrderStatus::pending_new || k.state == OrderStatus::pending_cancel)
        return order_reply(EventType::venue_reject, k, ts_ns, OrderStatus::rejected, reason,
                           OrderAction::new_order);
    return order_reply(EventType::venue_cancel, k, ts_ns, OrderStatus::canceled, reason,
                       OrderAction::new_order);
}

[[nodiscard]] bool is_closing(char ord_status) noexcept {
    return ord_status == '4' || ord_status == 'C' || ord_status == '8';
}

// The close for a final OrdStatus (4, C, 8); is_closing() must hold.
[[nodiscard]] Event close_for(const ExecReport& r, const KnownOrder& k,
                              std::int64_t ts_ns) noexcept {
    KEEL_ASSERT(is_closing(r.ord_status), "close_for needs a closing OrdStatus");
    if (r.ord_status == '4')
        return canceled(k, ts_ns);
    if (r.ord_status == 'C')
        return expiry_reply(k, ts_ns);
    return rejected(k, r.ord_rej_reason, ts_ns);
}

[[nodiscard]] Mapped nothing(std::string note) {
    Mapped m;
    m.note = std::move(note);
    return m;
}

Mapped map_trade(const ExecReport& r, const KnownOrder& k, std::int64_t ts_ns) {
    Mapped m;
    const bool ends_otherwise = r.ord_status == '4' || r.ord_status == 'C';
    const bool final = r.ord_status == '2' || (r.leaves_qty.raw == 0 && !ends_otherwise);
    const Money fee = r.has_commission ? r.commission : Money{};
    m.push(fill_reply(k, ts_ns, r.last_px, r.last_qty, fee, final));
    // The fill that completes the order as keel knows it leaves nothing to close.
    const bool completes = k.filled + r.last_qty >= k.quantity;
    if (ends_otherwise && !final && !completes)
        m.push(close_for(r, k, ts_ns));
    return m;
}

Mapped map_replaced(const ExecReport& r, const KnownOrder& k, std::int64_t ts_ns) {
    KnownOrder now = k;
    if (r.has_order_qty)
        now.quantity = r.order_qty;
    if (r.has_price && has_limit(k.type))
        now.price = r.price;
    if (r.has_stop_px && has_stop(k.type))
        now.stop_price = r.stop_px;
    Mapped m;
    m.push(order_reply(EventType::venue_ack, now, ts_ns, OrderStatus::accepted, Reason::none,
                       OrderAction::replace));
    return m;
}

Mapped map_restated(const ExecReport& r, const KnownOrder& k, std::int64_t ts_ns) {
    if (is_closing(r.ord_status)) {
        Mapped m;
        m.push(close_for(r, k, ts_ns));
        return m;
    }
    std::string note = "Restated: OrdStatus " + std::string(1, r.ord_status) +
                       ", ExecRestatementReason " + std::to_string(r.exec_restatement_reason);
    if (r.has_order_qty)
        note += ", OrderQty " + engine::decimal_string(r.order_qty.raw);
    if (r.has_price)
        note += ", Price " + engine::decimal_string(r.price.raw);
    return nothing(note + ": no keel event for a restatement that leaves the order working");
}

Mapped map_status(const ExecReport& r, const KnownOrder& k, std::int64_t ts_ns) {
    Mapped m;
    if (r.cum_qty > k.filled) {
        const std::optional<Price> px =
            catch_up_price(r.cum_qty, r.avg_px, k.filled, k.filled_notional);
        if (!px)
            return nothing("OrderStatus: the missing fill's price is out of range");
        m.push(fill_reply(k, ts_ns, *px, r.cum_qty - k.filled, Money{}, r.ord_status == '2'));
    } else if (r.cum_qty < k.filled) {
        m.note = "OrderStatus: the venue reports fewer fills than keel journaled";
    }
    // A missed fill that completes the order as keel knows it leaves nothing to close.
    const bool completes = r.cum_qty >= k.quantity;
    if (is_closing(r.ord_status) && !engine::is_terminal(k.state) && !completes)
        m.push(close_for(r, k, ts_ns));
    else if (m.count == 0 && r.ord_status == '0' && k.state == OrderStatus::pending_new)
        m.push(order_reply(EventType::venue_ack, k, ts_ns, OrderStatus::accepted, Reason::none,
                           OrderAction::new_order));
    if (m.count == 0 && m.note.empty())
        m.note = "OrderStatus: matches keel's view of the order";
    return m;
}

Mapped single(const Event& e) {
    Mapped m;
    m.push(e);
    return m;
}

}  // namespace

Mapped map_execution_report(const ExecReport& r, const KnownOrder& k, std::int64_t ts_ns) {
    switch (r.exec_type) {
        case '0':
            return single(order_reply(EventType::venue_ack, k, ts_ns, OrderStatus::accepted,
                                      Reason::none, OrderAction::new_order));
        case 'A':
        case '6':
        case 'E':
            return nothing(std::string("ExecType ") + r.exec_type +
                           ": pending states come from keel's own requests");
        case 'F':
            return map_trade(r, k, ts_ns);
        case '4':
            return single(canceled(k, ts_ns));
        case '5':
            return map_replaced(r, k, ts_ns);
        case '8':
            return single(order_reply(EventType::venue_reject, k, ts_ns, OrderStatus::rejected,
                                      reason_from_ord_rej(r.ord_rej_reason),
                                      OrderAction::new_order));
        case 'C':
            return single(expiry_reply(k, ts_ns));
        case '3':
            if (k.tif == TimeInForce::day)
                return single(expiry_reply(k, ts_ns));
            return nothing("DoneForDay: the order is not a day order and rests on");
        case 'D':
            return map_restated(r, k, ts_ns);
        case 'I':
            return map_status(r, k, ts_ns);
        default:
            return nothing(std::string("ExecType ") + r.exec_type + ": keel has no event for it");
    }
}

Mapped map_cancel_reject(const CancelReject& reject, const KnownOrder& known, std::int64_t ts_ns) {
    const OrderAction action = reject.response_to == 2 ? OrderAction::replace : OrderAction::cancel;
    return single(order_reply(EventType::venue_reject, known, ts_ns, OrderStatus::rejected,
                              reason_from_cxl_rej(reject.cxl_rej_reason), action));
}

}  // namespace keel::adapters::fix
