// Proves the FIX 4.4 codec: keel's orders encode into the messages FIX expects (exact decimals,
// cancel / replace chains by ClOrdID, refused order types), malformed reports are refused naming
// the tag, every ExecType and OrdStatus case maps onto the venue replies SimVenue would post,
// and those replies drive the gateway's OrderBook through a whole order life (an illegal one
// refused, as keel alerts on it).
#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "keel/adapters/fix/fix_codec.hpp"
#include "keel/adapters/sim_venue/sim_venue.hpp"
#include "keel/engine/orders/order_book.hpp"
#include "venue_test_support.hpp"

namespace keel {
namespace {

using namespace adapters::fix;
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

using test::kTs;
using test::order;
using test::P;
using test::Q;

// The value of a tag, "<absent>" when the message has none.
std::string field(const FixMessage& m, int t) {
    const std::string* v = m.find(t);
    return v != nullptr ? *v : "<absent>";
}

std::vector<int> tags_of(const FixMessage& m) {
    std::vector<int> tags;
    for (const FixField& f : m.fields)
        tags.push_back(f.tag);
    return tags;
}

using Fields = std::initializer_list<std::pair<int, const char*>>;

FixMessage message(const char* type, Fields fields) {
    FixMessage m;
    m.msg_type = type;
    for (const auto& [t, v] : fields)
        m.add(t, v);
    return m;
}

// A well-formed report of the given ExecType and OrdStatus for order "A1" (venue id V1), with
// `extra` appended (a tag already there is found first, so extras only add).
FixMessage report(char exec_type, char ord_status, Fields extra = {}, const char* cum = "0",
                  const char* leaves = "10") {
    FixMessage m = message("8", {{tag::order_id, "V1"},
                                 {tag::exec_id, "E1"},
                                 {tag::cl_ord_id, "A1"},
                                 {tag::symbol, "ACME"},
                                 {tag::side, "1"}});
    m.add(tag::exec_type, std::string(1, exec_type));
    m.add(tag::ord_status, std::string(1, ord_status));
    for (const auto& [t, v] : extra)
        m.add(t, v);
    m.add(tag::cum_qty, cum);
    m.add(tag::leaves_qty, leaves);
    return m;
}

ExecReport decoded(const FixMessage& m) {
    ExecReport r;
    const auto error = decode_execution_report(m, r);
    EXPECT_FALSE(error.has_value()) << error->tag << ": " << error->what;
    return r;
}

DecodeError error_of(const FixMessage& m) {
    ExecReport r;
    const auto error = decode_execution_report(m, r);
    EXPECT_TRUE(error.has_value());
    return error.value_or(DecodeError{});
}

KnownOrder known(OrderStatus state = OrderStatus::accepted, TimeInForce tif = TimeInForce::day) {
    KnownOrder k;
    k.order_id = 7;
    k.symbol = 2;
    k.owner = 3;
    k.side = Side::buy;
    k.tif = tif;
    k.type = OrderType::limit;
    k.role = engine::OrderRole::entry;
    k.price = P("100");
    k.quantity = Q("10");
    k.state = state;
    return k;
}

Mapped mapped(const FixMessage& m, const KnownOrder& k) {
    return map_execution_report(decoded(m), k, kTs);
}

// The header every mapped reply carries, and the order payload's terms from the known order.
void expect_order_reply(const Event& e, EventType type, OrderStatus status, Reason reason,
                        OrderAction action, const KnownOrder& k) {
    EXPECT_EQ(e.header.type, type);
    EXPECT_EQ(e.header.source, engine::Source::venue);
    EXPECT_EQ(e.header.seq, 0u);
    EXPECT_EQ(e.header.ts_ns, kTs);
    EXPECT_EQ(e.header.symbol, k.symbol);
    EXPECT_EQ(e.header.aux, k.owner);
    const engine::OrderPayload& p = e.payload.order;
    EXPECT_EQ(p.order_id, k.order_id);
    EXPECT_EQ(p.side, k.side);
    EXPECT_EQ(p.order_type, k.type);
    EXPECT_EQ(p.tif, k.tif);
    EXPECT_EQ(p.role, k.role);
    EXPECT_EQ(p.status, status);
    EXPECT_EQ(p.reason, reason);
    EXPECT_EQ(p.action, action);
}

void expect_fill(const Event& e, const char* qty, const char* price, bool final,
                 Money fee = Money{}) {
    EXPECT_EQ(e.header.type, EventType::venue_fill);
    EXPECT_EQ(e.header.source, engine::Source::venue);
    EXPECT_EQ(e.header.aux, 3u);
    EXPECT_EQ(e.header.symbol, 2u);
    EXPECT_EQ(e.payload.fill.order_id, 7u);
    EXPECT_EQ(e.payload.fill.side, Side::buy);
    EXPECT_EQ(e.payload.fill.quantity, Q(qty));
    EXPECT_EQ(e.payload.fill.price, P(price));
    EXPECT_EQ(e.payload.fill.fee, fee);
    EXPECT_EQ(e.payload.fill.flags, final ? engine::kFillFinal : 0);
}

}  // namespace

// --- encoding ---

TEST(FixCodec, ANewLimitOrderCarriesEveryFieldOfANewOrderSingle) {
    const Encoded e =
        encode_new_order(order(OrderType::limit, "10", "101.25", "0", TimeInForce::gtc, Side::sell),
                         "k1", "ACME", "20261207-07:20:00.000");
    ASSERT_TRUE(e.ok()) << e.why;
    EXPECT_EQ(e.message.msg_type, "D");
    EXPECT_EQ(tags_of(e.message), (std::vector<int>{11, 55, 54, 60, 38, 40, 44, 59}));
    EXPECT_EQ(field(e.message, tag::cl_ord_id), "k1");
    EXPECT_EQ(field(e.message, tag::symbol), "ACME");
    EXPECT_EQ(field(e.message, tag::side), "2");
    EXPECT_EQ(field(e.message, tag::transact_time), "20261207-07:20:00.000");
    EXPECT_EQ(field(e.message, tag::order_qty), "10");
    EXPECT_EQ(field(e.message, tag::ord_type), "2");
    EXPECT_EQ(field(e.message, tag::price), "101.25");
    EXPECT_EQ(field(e.message, tag::time_in_force), "1");
}

TEST(FixCodec, MarketOrdersCarryNoPriceAndStopOrdersCarryTheirStopPx) {
    const Encoded market = encode_new_order(order(OrderType::market, "5", "99"), "k", "S", "t");
    ASSERT_TRUE(market.ok());
    EXPECT_EQ(field(market.message, tag::ord_type), "1");
    EXPECT_EQ(field(market.message, tag::price), "<absent>");
    EXPECT_EQ(field(market.message, tag::stop_px), "<absent>");

    const Encoded stop = encode_new_order(order(OrderType::stop, "5", "0", "98.5"), "k", "S", "t");
    ASSERT_TRUE(stop.ok());
    EXPECT_EQ(field(stop.message, tag::ord_type), "3");
    EXPECT_EQ(field(stop.message, tag::price), "<absent>");
    EXPECT_EQ(field(stop.message, tag::stop_px), "98.5");

    const Encoded stop_limit =
        encode_new_order(order(OrderType::stop_limit, "5", "98", "98.5"), "k", "S", "t");
    ASSERT_TRUE(stop_limit.ok());
    EXPECT_EQ(field(stop_limit.message, tag::ord_type), "4");
    EXPECT_EQ(field(stop_limit.message, tag::price), "98");
    EXPECT_EQ(field(stop_limit.message, tag::stop_px), "98.5");
}

TEST(FixCodec, EverySideTypeAndTimeInForceHasItsFixCharacterBothWays) {
    EXPECT_EQ(side_char(Side::buy), '1');
    EXPECT_EQ(side_char(Side::sell), '2');
    EXPECT_EQ(side_char(Side::none), 0);
    EXPECT_EQ(side_from('1'), Side::buy);
    EXPECT_EQ(side_from('2'), Side::sell);
    EXPECT_EQ(side_from('5'), std::nullopt);
    for (const auto& [tif, c] :
         {std::pair{TimeInForce::day, '0'}, std::pair{TimeInForce::gtc, '1'},
          std::pair{TimeInForce::ioc, '3'}, std::pair{TimeInForce::fok, '4'}}) {
        EXPECT_EQ(tif_char(tif), c);
        EXPECT_EQ(tif_from(c), tif);
        const Encoded e =
            encode_new_order(order(OrderType::market, "1", "0", "0", tif), "k", "S", "t");
        EXPECT_EQ(field(e.message, tag::time_in_force), std::string(1, c));
    }
    EXPECT_EQ(tif_from('2'), std::nullopt);
    for (const auto& [type, c] :
         {std::pair{OrderType::market, '1'}, std::pair{OrderType::limit, '2'},
          std::pair{OrderType::stop, '3'}, std::pair{OrderType::stop_limit, '4'}}) {
        EXPECT_EQ(ord_type_char(type), c);
        EXPECT_EQ(ord_type_from(c), type);
    }
    EXPECT_EQ(ord_type_char(OrderType::trailing_stop), 0);
    EXPECT_EQ(ord_type_from('P'), std::nullopt);
}

TEST(FixCodec, ATrailingStopIsRefusedAsUnsupported) {
    const Encoded e =
        encode_new_order(order(OrderType::trailing_stop, "10", "0", "1.5"), "k", "ACME", "t");
    EXPECT_FALSE(e.ok());
    EXPECT_EQ(e.refused, Reason::unsupported_order_type);
    EXPECT_NE(e.why.find("trailing"), std::string::npos) << e.why;
    EXPECT_TRUE(e.message.fields.empty());
    const Encoded r =
        encode_replace(order(OrderType::trailing_stop, "10", "0", "1.5"), "k2", "k", "ACME", "t");
    EXPECT_EQ(r.refused, Reason::unsupported_order_type);
}

TEST(FixCodec, ANonPositiveQuantityOrAMissingPriceIsRefusedAsInvalid) {
    const auto refusal = [](const engine::OrderPayload& o, std::string_view id = "k") {
        const Encoded e = encode_new_order(o, id, "ACME", "t");
        EXPECT_TRUE(e.message.fields.empty());
        return e.refused;
    };
    EXPECT_EQ(refusal(order(OrderType::market, "0")), Reason::invalid_order);
    EXPECT_EQ(refusal(order(OrderType::market, "-1")), Reason::invalid_order);
    EXPECT_EQ(refusal(order(OrderType::limit, "10", "0")), Reason::invalid_order);
    EXPECT_EQ(refusal(order(OrderType::limit, "10", "-3")), Reason::invalid_order);
    EXPECT_EQ(refusal(order(OrderType::stop, "10", "100", "0")), Reason::invalid_order);
    EXPECT_EQ(refusal(order(OrderType::stop_limit, "10", "0", "100")), Reason::invalid_order);
    EXPECT_EQ(refusal(order(OrderType::market, "1", "0", "0", TimeInForce::day, Side::none)),
              Reason::invalid_order);
    EXPECT_EQ(refusal(order(OrderType::market, "1"), ""), Reason::invalid_order);
    EXPECT_EQ(encode_replace(order(OrderType::limit, "0", "100"), "k2", "k", "ACME", "t").refused,
              Reason::invalid_order);
    engine::OrderPayload no_qty = order(OrderType::limit, "0", "100");
    EXPECT_EQ(encode_cancel(no_qty, "k2", "k", "ACME", "t").refused, Reason::invalid_order);
}

TEST(FixCodec, DecimalsAreWrittenExactlyWithoutTrailingZeros) {
    const auto price_text = [](const char* price) {
        const Encoded e = encode_new_order(order(OrderType::limit, "1", price), "k", "S", "t");
        return field(e.message, tag::price);
    };
    EXPECT_EQ(price_text("101.25"), "101.25");
    EXPECT_EQ(price_text("101.250000000"), "101.25");
    EXPECT_EQ(price_text("100.0"), "100");
    EXPECT_EQ(price_text("0.000000001"), "0.000000001");
    EXPECT_EQ(price_text("0.1"), "0.1");
    EXPECT_EQ(price_text("9223372036.854775807"), "9223372036.854775807");
    engine::OrderPayload big = order(OrderType::market);
    big.quantity = Quantity::from_raw(INT64_MAX);
    EXPECT_EQ(field(encode_new_order(big, "k", "S", "t").message, tag::order_qty),
              "9223372036.854775807");
    const Encoded fraction = encode_new_order(order(OrderType::market, "0.5"), "k", "S", "t");
    EXPECT_EQ(field(fraction.message, tag::order_qty), "0.5");
    // Negative never: a negative price or quantity is refused, not written with a sign.
    EXPECT_FALSE(encode_new_order(order(OrderType::limit, "1", "-0.01"), "k", "S", "t").ok());
}

TEST(FixCodec, ACancelNamesTheOrdersCurrentClOrdIdAndItsOwn) {
    const Encoded e = encode_cancel(order(OrderType::limit, "10", "100"), "k2", "k1", "ACME",
                                    "20261207-07:21:00");
    ASSERT_TRUE(e.ok()) << e.why;
    EXPECT_EQ(e.message.msg_type, "F");
    EXPECT_EQ(tags_of(e.message), (std::vector<int>{11, 41, 55, 54, 38, 60}));
    EXPECT_EQ(field(e.message, tag::cl_ord_id), "k2");
    EXPECT_EQ(field(e.message, tag::orig_cl_ord_id), "k1");
    EXPECT_EQ(field(e.message, tag::symbol), "ACME");
    EXPECT_EQ(field(e.message, tag::side), "1");
    EXPECT_EQ(field(e.message, tag::order_qty), "10");
    EXPECT_EQ(field(e.message, tag::transact_time), "20261207-07:21:00");
    EXPECT_EQ(encode_cancel(order(OrderType::limit, "10", "100"), "k2", "", "ACME", "t").refused,
              Reason::invalid_order);
}

TEST(FixCodec, AReplaceCarriesTheNewTermsUnderANewClOrdId) {
    const Encoded e =
        encode_replace(order(OrderType::stop_limit, "12", "99.5", "100.25", TimeInForce::gtc), "k2",
                       "k1", "ACME", "t");
    ASSERT_TRUE(e.ok()) << e.why;
    EXPECT_EQ(e.message.msg_type, "G");
    EXPECT_EQ(tags_of(e.message), (std::vector<int>{11, 41, 55, 54, 60, 38, 40, 44, 99, 59}));
    EXPECT_EQ(field(e.message, tag::cl_ord_id), "k2");
    EXPECT_EQ(field(e.message, tag::orig_cl_ord_id), "k1");
    EXPECT_EQ(field(e.message, tag::order_qty), "12");
    EXPECT_EQ(field(e.message, tag::ord_type), "4");
    EXPECT_EQ(field(e.message, tag::price), "99.5");
    EXPECT_EQ(field(e.message, tag::stop_px), "100.25");
    EXPECT_EQ(field(e.message, tag::time_in_force), "1");
}

TEST(FixCodec, ACancelReplaceChainAlwaysPointsAtTheLatestClOrdId) {
    // New as A1, replaced as A2 (41 = A1), replaced again as A3 (41 = A2), canceled as A4
    // (41 = A3): each request names the id the venue knows the order by now.
    const engine::OrderPayload o = order(OrderType::limit, "10", "100");
    ASSERT_TRUE(encode_new_order(o, "A1", "ACME", "t").ok());
    const char* ids[] = {"A1", "A2", "A3", "A4"};
    for (int i = 1; i < 3; ++i) {
        const Encoded r = encode_replace(o, ids[i], ids[i - 1], "ACME", "t");
        EXPECT_EQ(field(r.message, tag::cl_ord_id), ids[i]);
        EXPECT_EQ(field(r.message, tag::orig_cl_ord_id), ids[i - 1]);
    }
    const Encoded c = encode_cancel(o, "A4", "A3", "ACME", "t");
    EXPECT_EQ(field(c.message, tag::cl_ord_id), "A4");
    EXPECT_EQ(field(c.message, tag::orig_cl_ord_id), "A3");
}

TEST(FixCodec, StatusAndMassStatusRequestsCarryTheirIds) {
    const Encoded s = encode_status_request("A1", "ACME", Side::sell);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s.message.msg_type, "H");
    EXPECT_EQ(tags_of(s.message), (std::vector<int>{11, 55, 54}));
    EXPECT_EQ(field(s.message, tag::side), "2");
    EXPECT_EQ(encode_status_request("A1", "ACME", Side::none).refused, Reason::invalid_order);
    const FixMessage m = encode_mass_status_request("M1");
    EXPECT_EQ(m.msg_type, "AF");
    EXPECT_EQ(tags_of(m), (std::vector<int>{584, 585}));
    EXPECT_EQ(field(m, tag::mass_status_req_id), "M1");
    EXPECT_EQ(field(m, tag::mass_status_req_type), "7");
}

// --- decoding ---

TEST(FixCodec, AWellFormedTradeReportDecodesEveryField) {
    const ExecReport r = decoded(report('F', '1',
                                        {{tag::last_qty, "4"},
                                         {tag::last_px, "100.5"},
                                         {tag::avg_px, "100.5"},
                                         {tag::order_qty, "10"},
                                         {tag::price, "101"},
                                         {tag::commission, "0.35"},
                                         {tag::text, "partial"},
                                         {tag::orig_cl_ord_id, "A0"},
                                         {tag::transact_time, "20261207-07:22:00"}},
                                        "4", "6"));
    EXPECT_EQ(r.exec_type, 'F');
    EXPECT_EQ(r.ord_status, '1');
    EXPECT_EQ(r.order_id, "V1");
    EXPECT_EQ(r.exec_id, "E1");
    EXPECT_EQ(r.cl_ord_id, "A1");
    EXPECT_EQ(r.orig_cl_ord_id, "A0");
    EXPECT_EQ(r.symbol, "ACME");
    EXPECT_EQ(r.text, "partial");
    EXPECT_EQ(r.transact_time, "20261207-07:22:00");
    EXPECT_EQ(r.side, Side::buy);
    EXPECT_EQ(r.last_qty, Q("4"));
    EXPECT_EQ(r.last_px, P("100.5"));
    EXPECT_EQ(r.cum_qty, Q("4"));
    EXPECT_EQ(r.leaves_qty, Q("6"));
    EXPECT_TRUE(r.has_avg_px);
    EXPECT_EQ(r.avg_px, P("100.5"));
    EXPECT_TRUE(r.has_order_qty);
    EXPECT_EQ(r.order_qty, Q("10"));
    EXPECT_TRUE(r.has_price);
    EXPECT_EQ(r.price, P("101"));
    EXPECT_FALSE(r.has_stop_px);
    EXPECT_TRUE(r.has_commission);
    EXPECT_EQ(r.commission, Money::from_raw(350'000'000));
    EXPECT_EQ(r.ord_rej_reason, -1);
}

TEST(FixCodec, AMassStatusReplyDecodesItsRequestIdAndLastReportFlag) {
    const ExecReport r = decoded(report('I', '0',
                                        {{tag::avg_px, "0"},
                                         {tag::mass_status_req_id, "M1"},
                                         {tag::tot_num_reports, "3"},
                                         {tag::last_rpt_requested, "Y"}}));
    EXPECT_EQ(r.mass_status_req_id, "M1");
    EXPECT_EQ(r.tot_num_reports, 3);
    EXPECT_TRUE(r.last_rpt_requested);
}

TEST(FixCodec, AReportWithoutOrderIdIsRefusedNamingTag37) {
    FixMessage m = report('0', '0');
    m.fields.erase(m.fields.begin());  // OrderID comes first
    const DecodeError e = error_of(m);
    EXPECT_EQ(e.tag, tag::order_id);
    EXPECT_NE(e.what.find("OrderID (37) is missing"), std::string::npos) << e.what;
}

TEST(FixCodec, AnUnknownExecTypeIsRefusedNamingTag150) {
    const DecodeError e = error_of(report('Z', '0'));
    EXPECT_EQ(e.tag, tag::exec_type);
    EXPECT_NE(e.what.find("'Z'"), std::string::npos) << e.what;
    EXPECT_EQ(error_of(report('0', 'Z')).tag, tag::ord_status);
    FixMessage two_chars = report('0', '0');
    for (FixField& f : two_chars.fields) {
        if (f.tag == tag::exec_type)
            f.value = "00";
    }
    EXPECT_EQ(error_of(two_chars).tag, tag::exec_type);
}

TEST(FixCodec, ALastQtyThatIsNotADecimalIsRefusedNamingTag32) {
    const DecodeError e =
        error_of(report('F', '1', {{tag::last_qty, "abc"}, {tag::last_px, "100"}}, "4", "6"));
    EXPECT_EQ(e.tag, tag::last_qty);
    EXPECT_NE(e.what.find("'abc' is not a decimal"), std::string::npos) << e.what;
    EXPECT_EQ(error_of(report('F', '1', {{tag::last_qty, "0"}, {tag::last_px, "1"}})).tag,
              tag::last_qty);
    EXPECT_EQ(error_of(report('F', '1', {{tag::last_qty, "1e3"}, {tag::last_px, "1"}})).tag,
              tag::last_qty);
}

TEST(FixCodec, ATradeWithoutLastPxIsRefusedNamingTag31) {
    const DecodeError e = error_of(report('F', '1', {{tag::last_qty, "4"}}, "4", "6"));
    EXPECT_EQ(e.tag, tag::last_px);
    EXPECT_NE(e.what.find("LastPx (31) is missing"), std::string::npos) << e.what;
    EXPECT_EQ(error_of(report('F', '1', {{tag::last_px, "100"}}, "4", "6")).tag, tag::last_qty);
}

TEST(FixCodec, ClOrdIdIsRequiredExceptOnReportsTheVenueMaySendUnprompted) {
    const auto without_cl_ord_id = [](char exec_type, Fields extra = {}) {
        FixMessage m = report(exec_type, '0', extra);
        std::erase_if(m.fields, [](const FixField& f) { return f.tag == tag::cl_ord_id; });
        ExecReport r;
        return decode_execution_report(m, r);
    };
    for (const char solicited : {'0', '5', '8', 'A', '6', 'E'}) {
        const auto e = without_cl_ord_id(solicited);
        ASSERT_TRUE(e.has_value()) << solicited;
        EXPECT_EQ(e->tag, tag::cl_ord_id) << solicited;
    }
    EXPECT_EQ(without_cl_ord_id('F', {{tag::last_qty, "1"}, {tag::last_px, "1"}})->tag,
              tag::cl_ord_id);
    for (const char unsolicited : {'4', 'C', '3', 'D'})
        EXPECT_FALSE(without_cl_ord_id(unsolicited).has_value()) << unsolicited;
    EXPECT_FALSE(without_cl_ord_id('I', {{tag::avg_px, "0"}}).has_value());
}

TEST(FixCodec, MissingOrBadRequiredFieldsAreRefusedNamingTheirTag) {
    const auto without = [](int t) {
        FixMessage m = report('0', '0');
        std::erase_if(m.fields, [t](const FixField& f) { return f.tag == t; });
        return error_of(m).tag;
    };
    for (const int t : {tag::order_id, tag::exec_id, tag::exec_type, tag::ord_status, tag::side,
                        tag::cum_qty, tag::leaves_qty})
        EXPECT_EQ(without(t), t);
    EXPECT_EQ(error_of(report('0', '0', {}, "-1")).tag, tag::cum_qty);
    EXPECT_EQ(error_of(report('0', '0', {}, "0", "x")).tag, tag::leaves_qty);
    EXPECT_EQ(error_of(report('8', '8', {{tag::ord_rej_reason, "x"}})).tag, tag::ord_rej_reason);
    EXPECT_EQ(error_of(report('I', '0')).tag, tag::avg_px);  // reconciliation prices from it
    FixMessage sell_short = report('0', '0');
    sell_short.fields[4].value = "5";
    EXPECT_EQ(error_of(sell_short).tag, tag::side);
    FixMessage empty_exec_id = report('0', '0');
    empty_exec_id.fields[1].value.clear();
    EXPECT_NE(error_of(empty_exec_id).what.find("ExecID (17) is empty"), std::string::npos);
    FixMessage not_a_report = report('0', '0');
    not_a_report.msg_type = "D";
    EXPECT_EQ(error_of(not_a_report).tag, tag::msg_type);
}

TEST(FixCodec, GarbageInAnyFieldIsAnErrorNeverAThrow) {
    const char* garbage[] = {
        "", "-", ".", "1.", "x", "99999999999999999999", "\x01", "-0.5e1", "1.0000000001", "NaN"};
    for (const FixField& f : report('F', '1', {{tag::last_qty, "1"}, {tag::last_px, "1"}}).fields) {
        for (const char* g : garbage) {
            FixMessage m = report('F', '1', {{tag::last_qty, "1"}, {tag::last_px, "1"}});
            for (FixField& x : m.fields) {
                if (x.tag == f.tag)
                    x.value = g;
            }
            ExecReport r;
            EXPECT_NO_THROW((void)decode_execution_report(m, r));
        }
    }
    ExecReport r;
    EXPECT_TRUE(decode_execution_report(FixMessage{}, r).has_value());
    CancelReject c;
    EXPECT_TRUE(decode_cancel_reject(message("9", {}), c).has_value());
}

TEST(FixCodec, ACancelRejectDecodesAndRefusesAResponseToOtherThanCancelOrReplace) {
    CancelReject c;
    const auto ok = decode_cancel_reject(message("9", {{tag::cl_ord_id, "A2"},
                                                       {tag::orig_cl_ord_id, "A1"},
                                                       {tag::order_id, "V1"},
                                                       {tag::ord_status, "0"},
                                                       {tag::cxl_rej_response_to, "2"},
                                                       {tag::cxl_rej_reason, "0"},
                                                       {tag::text, "too late"}}),
                                         c);
    ASSERT_FALSE(ok.has_value()) << ok->what;
    EXPECT_EQ(c.cl_ord_id, "A2");
    EXPECT_EQ(c.orig_cl_ord_id, "A1");
    EXPECT_EQ(c.order_id, "V1");
    EXPECT_EQ(c.ord_status, '0');
    EXPECT_EQ(c.response_to, 2);
    EXPECT_EQ(c.cxl_rej_reason, 0);
    EXPECT_EQ(c.text, "too late");
    const auto bad = decode_cancel_reject(message("9", {{tag::cl_ord_id, "A2"},
                                                        {tag::orig_cl_ord_id, "A1"},
                                                        {tag::order_id, "V1"},
                                                        {tag::ord_status, "0"},
                                                        {tag::cxl_rej_response_to, "3"}}),
                                          c);
    ASSERT_TRUE(bad.has_value());
    EXPECT_EQ(bad->tag, tag::cxl_rej_response_to);
    const auto no_orig =
        decode_cancel_reject(message("9", {{tag::cl_ord_id, "A2"}, {tag::order_id, "V1"}}), c);
    ASSERT_TRUE(no_orig.has_value());
    EXPECT_EQ(no_orig->tag, tag::orig_cl_ord_id);
    EXPECT_EQ(decode_cancel_reject(report('0', '0'), c)->tag, tag::msg_type);
}

// --- mapping ---

TEST(FixCodec, ANewReportIsAnAckOfTheNewOrder) {
    const KnownOrder k = known(OrderStatus::pending_new);
    const Mapped m = mapped(report('0', '0'), k);
    ASSERT_EQ(m.count, 1u);
    expect_order_reply(m.events[0], EventType::venue_ack, OrderStatus::accepted, Reason::none,
                       OrderAction::new_order, k);
    EXPECT_EQ(m.events[0].payload.order.price, P("100"));
    EXPECT_EQ(m.events[0].payload.order.quantity, Q("10"));
}

TEST(FixCodec, PendingReportsProduceNothingBecauseKeelsPendingStatesAreItsOwn) {
    for (const char exec_type : {'A', '6', 'E'}) {
        const Mapped m = mapped(report(exec_type, exec_type), known());
        EXPECT_EQ(m.count, 0u) << exec_type;
        EXPECT_NE(m.note.find("pending"), std::string::npos) << m.note;
    }
}

TEST(FixCodec, APartialTradeReportIsAFillWithItsCommission) {
    const Mapped m = mapped(
        report('F', '1', {{tag::last_qty, "4"}, {tag::last_px, "99.75"}, {tag::commission, "1.2"}},
               "4", "6"),
        known());
    ASSERT_EQ(m.count, 1u);
    expect_fill(m.events[0], "4", "99.75", false, Money::from_raw(1'200'000'000));
    EXPECT_EQ(m.events[0].header.ts_ns, kTs);
    EXPECT_EQ(m.events[0].header.seq, 0u);
    const Mapped no_fee = mapped(
        report('F', '1', {{tag::last_qty, "4"}, {tag::last_px, "99.75"}}, "4", "6"), known());
    expect_fill(no_fee.events[0], "4", "99.75", false);
}

TEST(FixCodec, ATradeReportThatCompletesTheOrderIsAFinalFill) {
    KnownOrder k = known(OrderStatus::partially_filled);
    k.filled = Q("4");
    const Mapped by_status =
        mapped(report('F', '2', {{tag::last_qty, "6"}, {tag::last_px, "101"}}, "10", "0"), k);
    ASSERT_EQ(by_status.count, 1u);
    expect_fill(by_status.events[0], "6", "101", true);
    // LeavesQty 0 alone is final too (a venue that reports OrdStatus late).
    const Mapped by_leaves =
        mapped(report('F', '1', {{tag::last_qty, "6"}, {tag::last_px, "101"}}, "10", "0"), k);
    expect_fill(by_leaves.events[0], "6", "101", true);
}

TEST(FixCodec, AnIocTradeThatAlsoEndsTheOrderIsAFillThenItsClose) {
    const KnownOrder k = known(OrderStatus::accepted, TimeInForce::ioc);
    const Mapped m =
        mapped(report('F', '4', {{tag::last_qty, "3"}, {tag::last_px, "100"}}, "3", "0"), k);
    ASSERT_EQ(m.count, 2u);
    expect_fill(m.events[0], "3", "100", false);
    expect_order_reply(m.events[1], EventType::venue_cancel, OrderStatus::canceled,
                       Reason::canceled_on_request, OrderAction::cancel, k);
    const Mapped expired =
        mapped(report('F', 'C', {{tag::last_qty, "3"}, {tag::last_px, "100"}}, "3", "0"), k);
    ASSERT_EQ(expired.count, 2u);
    EXPECT_EQ(expired.events[1].payload.order.reason, Reason::ioc_remainder);
    // The whole order filled: nothing is left to close.
    const Mapped whole =
        mapped(report('F', '4', {{tag::last_qty, "10"}, {tag::last_px, "100"}}, "10", "0"), k);
    EXPECT_EQ(whole.count, 1u);
}

TEST(FixCodec, ACanceledReportIsACancelOnRequest) {
    const KnownOrder k = known(OrderStatus::pending_cancel);
    const Mapped m = mapped(report('4', '4', {}, "0", "0"), k);
    ASSERT_EQ(m.count, 1u);
    expect_order_reply(m.events[0], EventType::venue_cancel, OrderStatus::canceled,
                       Reason::canceled_on_request, OrderAction::cancel, k);
}

TEST(FixCodec, AReplacedReportAcksTheReplaceWithTheNewTerms) {
    KnownOrder k = known(OrderStatus::pending_replace);
    const Mapped m =
        mapped(report('5', '0', {{tag::order_qty, "12"}, {tag::price, "99.5"}}, "0", "12"), k);
    ASSERT_EQ(m.count, 1u);
    // SimVenue's replace ack: action replace, status accepted (the book reports `replaced`).
    expect_order_reply(m.events[0], EventType::venue_ack, OrderStatus::accepted, Reason::none,
                       OrderAction::replace, k);
    EXPECT_EQ(m.events[0].payload.order.quantity, Q("12"));
    EXPECT_EQ(m.events[0].payload.order.price, P("99.5"));
    EXPECT_EQ(m.events[0].payload.order.stop_price, Price{});
    // Terms the report leaves out stay the known order's.
    const Mapped bare = mapped(report('5', '0', {}, "0", "10"), k);
    EXPECT_EQ(bare.events[0].payload.order.quantity, Q("10"));
    EXPECT_EQ(bare.events[0].payload.order.price, P("100"));
}

TEST(FixCodec, ARejectedReportCarriesTheReasonItsOrdRejReasonNames) {
    const KnownOrder k = known(OrderStatus::pending_new);
    const std::pair<const char*, Reason> cases[] = {
        {"2", Reason::venue_closed},    {"5", Reason::venue_unknown_order},
        {"6", Reason::duplicate_order}, {"11", Reason::unsupported_order_type},
        {"13", Reason::invalid_order},  {"3", Reason::venue_rejected},
        {"99", Reason::venue_rejected},
    };
    for (const auto& [code, reason] : cases) {
        const Mapped m = mapped(report('8', '8', {{tag::ord_rej_reason, code}}, "0", "0"), k);
        ASSERT_EQ(m.count, 1u);
        expect_order_reply(m.events[0], EventType::venue_reject, OrderStatus::rejected, reason,
                           OrderAction::new_order, k);
    }
    EXPECT_EQ(mapped(report('8', '8', {}, "0", "0"), k).events[0].payload.order.reason,
              Reason::venue_rejected);
    EXPECT_EQ(reason_from_ord_rej(-1), Reason::venue_rejected);
    EXPECT_EQ(engine::to_string(Reason::venue_rejected), "venue_rejected");
}

TEST(FixCodec, AnExpiredReportClosesTheOrderByItsTimeInForce) {
    const std::tuple<TimeInForce, Reason, OrderStatus> cases[] = {
        {TimeInForce::ioc, Reason::ioc_remainder, OrderStatus::canceled},
        {TimeInForce::fok, Reason::fok_unfillable, OrderStatus::canceled},
        {TimeInForce::day, Reason::expired_day, OrderStatus::expired},
        {TimeInForce::gtc, Reason::expired_day, OrderStatus::expired},
    };
    for (const auto& [tif, reason, status] : cases) {
        const KnownOrder k = known(OrderStatus::accepted, tif);
        const Mapped m = mapped(report('C', 'C', {}, "0", "0"), k);
        ASSERT_EQ(m.count, 1u);
        expect_order_reply(m.events[0], EventType::venue_cancel, status, reason,
                           OrderAction::new_order, k);
        EXPECT_TRUE(engine::is_expiry(m.events[0].payload.order.reason));
    }
}

TEST(FixCodec, DoneForDayExpiresDayOrdersOnly) {
    const KnownOrder day = known(OrderStatus::accepted, TimeInForce::day);
    const Mapped m = mapped(report('3', '3'), day);
    ASSERT_EQ(m.count, 1u);
    expect_order_reply(m.events[0], EventType::venue_cancel, OrderStatus::expired,
                       Reason::expired_day, OrderAction::new_order, day);
    const Mapped gtc = mapped(report('3', '3'), known(OrderStatus::accepted, TimeInForce::gtc));
    EXPECT_EQ(gtc.count, 0u);
    EXPECT_NE(gtc.note.find("DoneForDay"), std::string::npos) << gtc.note;
}

TEST(FixCodec, ARestatementClosesTheOrderOnlyWhenItEndsIt) {
    const KnownOrder k = known(OrderStatus::accepted, TimeInForce::gtc);
    const Mapped canceled = mapped(report('D', '4', {}, "0", "0"), k);
    ASSERT_EQ(canceled.count, 1u);
    expect_order_reply(canceled.events[0], EventType::venue_cancel, OrderStatus::canceled,
                       Reason::canceled_on_request, OrderAction::cancel, k);
    const Mapped expired = mapped(report('D', 'C', {}, "0", "0"), k);
    ASSERT_EQ(expired.count, 1u);
    EXPECT_EQ(expired.events[0].payload.order.reason, Reason::expired_day);
    // Rejected after keel saw it accepted: a reject is not legal there, the venue dropped it.
    const Mapped dropped = mapped(report('D', '8', {{tag::ord_rej_reason, "5"}}, "0", "0"), k);
    ASSERT_EQ(dropped.count, 1u);
    expect_order_reply(dropped.events[0], EventType::venue_cancel, OrderStatus::canceled,
                       Reason::venue_unknown_order, OrderAction::new_order, k);
    const Mapped working = mapped(
        report('D', '0',
               {{tag::exec_restatement_reason, "1"}, {tag::order_qty, "8"}, {tag::price, "100.5"}},
               "0", "8"),
        k);
    EXPECT_EQ(working.count, 0u);
    EXPECT_NE(working.note.find("OrderQty 8"), std::string::npos) << working.note;
    EXPECT_NE(working.note.find("ExecRestatementReason 1"), std::string::npos) << working.note;
}

TEST(FixCodec, AStatusReportWithMissedFillsCatchesUpAtTheAveragePrice) {
    KnownOrder k = known(OrderStatus::partially_filled);
    k.filled = Q("4");
    k.filled_notional = Money::from_units(400);  // 4 at 100
    // The venue has 10 filled at an average of 101: the missed 6 came to 1010 - 400 = 610, so
    // 101.666666666..., rounded to the nearest 1e-9.
    const Mapped m = mapped(report('I', '1', {{tag::avg_px, "101"}}, "10", "0"), k);
    ASSERT_EQ(m.count, 1u);
    expect_fill(m.events[0], "6", "101.666666667", false);
    const Mapped done = mapped(report('I', '2', {{tag::avg_px, "101"}}, "10", "0"), k);
    ASSERT_EQ(done.count, 1u);
    expect_fill(done.events[0], "6", "101.666666667", true);
}

TEST(FixCodec, AStatusReportOfAnEndedOrderClosesItAfterAnyMissedFill) {
    KnownOrder k = known(OrderStatus::accepted, TimeInForce::gtc);
    const Mapped canceled = mapped(report('I', '4', {{tag::avg_px, "0"}}, "0", "0"), k);
    ASSERT_EQ(canceled.count, 1u);
    EXPECT_EQ(canceled.events[0].header.type, EventType::venue_cancel);
    EXPECT_EQ(canceled.events[0].payload.order.reason, Reason::canceled_on_request);

    const Mapped filled_then_canceled =
        mapped(report('I', '4', {{tag::avg_px, "100"}}, "3", "0"), k);
    ASSERT_EQ(filled_then_canceled.count, 2u);
    expect_fill(filled_then_canceled.events[0], "3", "100", false);
    EXPECT_EQ(filled_then_canceled.events[1].header.type, EventType::venue_cancel);

    const Mapped expired = mapped(report('I', 'C', {{tag::avg_px, "0"}}, "0", "0"), k);
    ASSERT_EQ(expired.count, 1u);
    EXPECT_EQ(expired.events[0].payload.order.reason, Reason::expired_day);

    const Mapped unknown =
        mapped(report('I', '8', {{tag::avg_px, "0"}, {tag::ord_rej_reason, "5"}}, "0", "0"), k);
    ASSERT_EQ(unknown.count, 1u);
    expect_order_reply(unknown.events[0], EventType::venue_cancel, OrderStatus::canceled,
                       Reason::venue_unknown_order, OrderAction::new_order, k);
    // Never acked as keel sees it: the reject itself is legal there.
    const Mapped never_acked =
        mapped(report('I', '8', {{tag::avg_px, "0"}, {tag::ord_rej_reason, "5"}}, "0", "0"),
               known(OrderStatus::pending_new));
    ASSERT_EQ(never_acked.count, 1u);
    EXPECT_EQ(never_acked.events[0].header.type, EventType::venue_reject);
    EXPECT_EQ(never_acked.events[0].payload.order.reason, Reason::venue_unknown_order);
}

TEST(FixCodec, AStatusReportThatMatchesKeelsViewProducesNothing) {
    KnownOrder k = known(OrderStatus::partially_filled);
    k.filled = Q("4");
    k.filled_notional = Money::from_units(400);
    const Mapped same = mapped(report('I', '1', {{tag::avg_px, "100"}}, "4", "6"), k);
    EXPECT_EQ(same.count, 0u);
    EXPECT_NE(same.note.find("matches"), std::string::npos) << same.note;
    const Mapped fewer = mapped(report('I', '1', {{tag::avg_px, "100"}}, "2", "8"), k);
    EXPECT_EQ(fewer.count, 0u);
    EXPECT_NE(fewer.note.find("fewer fills"), std::string::npos) << fewer.note;
    // An ack keel missed: the venue has the order working, keel still waits for it.
    const KnownOrder waiting = known(OrderStatus::pending_new);
    const Mapped ack = mapped(report('I', '0', {{tag::avg_px, "0"}}), waiting);
    ASSERT_EQ(ack.count, 1u);
    expect_order_reply(ack.events[0], EventType::venue_ack, OrderStatus::accepted, Reason::none,
                       OrderAction::new_order, waiting);
}

TEST(FixCodec, TheCatchUpPriceRoundsToTheNearestRawUnitWithoutOverflow) {
    // 1 at 1 then 2 more for an average of 1.000000001: 3.000000003 - 1 over 2 = 1.0000000015,
    // a half: away from zero.
    EXPECT_EQ(catch_up_price(Q("3"), P("1.000000001"), Q("1"), Money::from_units(1)),
              Price::from_raw(1'000'000'002));
    // 4 raw units of notional over 3 missing: 1.33 rounds down; 8 over 3: 2.67 rounds up.
    EXPECT_EQ(catch_up_price(Q("4"), Price::from_raw(1), Q("1"), Money{}), Price::from_raw(1));
    EXPECT_EQ(catch_up_price(Q("4"), Price::from_raw(2), Q("1"), Money{}), Price::from_raw(3));
    // An odd missing quantity (3 raw units): 4 / 3 rounds down, 5 / 3 up.
    EXPECT_EQ(
        catch_up_price(Quantity::from_raw(4), P("1"), Quantity::from_raw(1), Money::from_raw(0)),
        Price::from_raw(1'333'333'333));
    EXPECT_EQ(
        catch_up_price(Quantity::from_raw(5), P("1"), Quantity::from_raw(2), Money::from_raw(0)),
        Price::from_raw(1'666'666'667));
    EXPECT_EQ(catch_up_price(Q("0.000000003"), P("0.000000001"), Q("0"), Money{}),
              Price::from_raw(1));
    // Negative prices round away from zero as well: -3 over 2 is -1.5.
    EXPECT_EQ(catch_up_price(Q("3"), Price::from_raw(-1), Q("1"), Money{}), Price::from_raw(-2));
    // Large figures stay exact through 128 bits.
    EXPECT_EQ(catch_up_price(Q("9000000000"), P("1000"), Q("0"), Money{}), P("1000"));
    EXPECT_EQ(
        catch_up_price(Quantity::from_raw(INT64_MAX), Price::from_raw(INT64_MAX), Q("0"), Money{}),
        Price::from_raw(INT64_MAX));
    EXPECT_EQ(
        catch_up_price(Q("2"), Price::from_raw(INT64_MAX), Q("1"), Money::from_raw(INT64_MIN)),
        std::nullopt);
    EXPECT_EQ(catch_up_price(Q("1"), P("1"), Q("1"), Money{}), std::nullopt);
}

TEST(FixCodec, ACancelRejectIsAVenueRejectOfTheCancelOrTheReplace) {
    const KnownOrder k = known(OrderStatus::pending_cancel);
    CancelReject c;
    c.response_to = 1;
    c.cxl_rej_reason = 0;  // too late to cancel
    const Mapped cancel = map_cancel_reject(c, k, kTs);
    ASSERT_EQ(cancel.count, 1u);
    expect_order_reply(cancel.events[0], EventType::venue_reject, OrderStatus::rejected,
                       Reason::venue_rejected, OrderAction::cancel, k);
    c.response_to = 2;
    c.cxl_rej_reason = 1;
    const Mapped replace = map_cancel_reject(c, k, kTs);
    expect_order_reply(replace.events[0], EventType::venue_reject, OrderStatus::rejected,
                       Reason::venue_unknown_order, OrderAction::replace, k);
    EXPECT_EQ(reason_from_cxl_rej(6), Reason::duplicate_order);
    EXPECT_EQ(reason_from_cxl_rej(-1), Reason::venue_rejected);
}

TEST(FixCodec, ExecTypesKeelHasNoEventForProduceNothingWithANote) {
    for (const char exec_type : {'7', '9', 'B', 'L', 'G', 'H'}) {
        const Mapped m = mapped(report(exec_type, '1', {}, "4", "6"), known());
        EXPECT_EQ(m.count, 0u) << exec_type;
        EXPECT_NE(m.note.find("no event"), std::string::npos) << m.note;
    }
}

// --- the replies against SimVenue and the gateway's OrderBook ---

namespace {

struct Capture final : engine::ReplySink {
    void post(const Event& e) noexcept override { events.push_back(e); }
    std::vector<Event> events;
};

Event sent(const engine::OrderPayload& o, OrderAction action, std::int64_t ts) {
    Event e = engine::make_event(EventType::order_sent, engine::Source::gateway, 1, ts, 2);
    e.header.aux = 3;
    e.payload.order = o;
    e.payload.order.action = action;
    e.payload.order.role = engine::OrderRole::entry;
    return e;
}

bool same_bytes(const Event& a, const Event& b) {
    return std::memcmp(&a, &b, sizeof(Event)) == 0;
}

}  // namespace

TEST(FixCodec, AcksCancelsAndRejectsAreByteForByteWhatSimVenuePosts) {
    Capture sim;
    adapters::SimVenue venue(sim, adapters::SimVenueConfig{}, 1);
    engine::OrderPayload o = order(OrderType::limit, "10", "100");
    venue.submit(sent(o, OrderAction::new_order, kTs));
    engine::OrderPayload bigger = o;
    bigger.quantity = Q("12");
    bigger.price = P("99.5");
    venue.submit(sent(bigger, OrderAction::replace, kTs));
    venue.submit(sent(bigger, OrderAction::cancel, kTs));
    venue.submit(sent(bigger, OrderAction::cancel, kTs));  // gone: a refused cancel
    ASSERT_EQ(sim.events.size(), 4u);

    KnownOrder k = known(OrderStatus::pending_new);
    EXPECT_TRUE(same_bytes(mapped(report('0', '0'), k).events[0], sim.events[0]));
    EXPECT_TRUE(same_bytes(
        mapped(report('5', '0', {{tag::order_qty, "12"}, {tag::price, "99.5"}}), k).events[0],
        sim.events[1]));
    k.quantity = Q("12");
    k.price = P("99.5");
    EXPECT_TRUE(same_bytes(mapped(report('4', '4'), k).events[0], sim.events[2]));
    CancelReject c;
    c.response_to = 1;
    c.cxl_rej_reason = 1;
    Event refused = map_cancel_reject(c, k, kTs).events[0];
    EXPECT_TRUE(same_bytes(refused, sim.events[3]));
}

TEST(FixCodec, FillsAreByteForByteWhatSimVenuePosts) {
    // Tick matching, half of each trade's size, a cent a share: a partial fill then the final.
    adapters::SimVenueConfig config;
    config.mode = adapters::MatchMode::ticks;
    config.participation = engine::Ratio::from_raw(500'000'000);
    config.commission = adapters::CommissionModel::per_share;
    config.commission_per_share = Money::from_raw(10'000'000);
    Capture sim;
    adapters::SimVenue venue(sim, config, 1);
    venue.submit(sent(order(OrderType::limit, "10", "100"), OrderAction::new_order, kTs));
    for (const char* size : {"8", "20"}) {
        Event print = engine::make_event(EventType::trade, engine::Source::feed, 0, kTs, 2);
        print.payload.trade.price = P("99");
        print.payload.trade.size = Q(size);
        venue.on_market_data(print);
    }
    ASSERT_EQ(sim.events.size(), 3u);

    KnownOrder k = known();
    const Mapped first = mapped(
        report('F', '1', {{tag::last_qty, "4"}, {tag::last_px, "100"}, {tag::commission, "0.04"}},
               "4", "6"),
        k);
    EXPECT_TRUE(same_bytes(first.events[0], sim.events[1]));
    k.filled = Q("4");
    const Mapped last = mapped(
        report('F', '2', {{tag::last_qty, "6"}, {tag::last_px, "100"}, {tag::commission, "0.06"}},
               "10", "0"),
        k);
    EXPECT_TRUE(same_bytes(last.events[0], sim.events[2]));
}

TEST(FixCodec, MappedRepliesDriveTheOrderBookThroughAWholeOrderLife) {
    engine::OrderBook book(8);
    const engine::OrderPayload o = order(OrderType::limit, "10", "100");
    ASSERT_EQ(book.apply(sent(o, OrderAction::new_order, kTs)).result,
              engine::ApplyResult::applied);
    KnownOrder k = known(OrderStatus::pending_new);
    const auto apply = [&](const FixMessage& m) {
        const Mapped r = mapped(m, k);
        EXPECT_EQ(r.count, 1u) << r.note;
        const engine::Transition t = book.apply(r.events[0]);
        EXPECT_EQ(t.result, engine::ApplyResult::applied);
        k.state = t.to;
        k.filled = t.order.filled;
        return t;
    };
    EXPECT_EQ(apply(report('0', '0')).to, OrderStatus::accepted);
    EXPECT_EQ(apply(report('F', '1', {{tag::last_qty, "4"}, {tag::last_px, "100"}}, "4", "6")).to,
              OrderStatus::partially_filled);
    engine::OrderPayload replace = o;
    replace.quantity = Q("12");
    ASSERT_EQ(book.apply(sent(replace, OrderAction::replace, kTs)).to,
              OrderStatus::pending_replace);
    const engine::Transition replaced = apply(report('5', '1', {{tag::order_qty, "12"}}, "4", "8"));
    EXPECT_EQ(replaced.to, OrderStatus::partially_filled);
    EXPECT_EQ(replaced.reported(), OrderStatus::replaced);
    EXPECT_EQ(replaced.order.quantity, Q("12"));
    k.quantity = Q("12");
    const engine::Transition last =
        apply(report('F', '2', {{tag::last_qty, "8"}, {tag::last_px, "101"}}, "12", "0"));
    EXPECT_EQ(last.to, OrderStatus::filled);
    EXPECT_EQ(last.order.filled, Q("12"));
    EXPECT_EQ(book.open_count(), 0u);
}

TEST(FixCodec, ATradeAfterACancelIsRefusedByTheOrderBook) {
    engine::OrderBook book(8);
    const engine::OrderPayload o = order(OrderType::limit, "10", "100");
    book.apply(sent(o, OrderAction::new_order, kTs));
    KnownOrder k = known(OrderStatus::pending_new);
    book.apply(mapped(report('0', '0'), k).events[0]);
    k.state = OrderStatus::accepted;
    EXPECT_EQ(book.apply(mapped(report('4', '4', {}, "0", "0"), k).events[0]).to,
              OrderStatus::canceled);
    k.state = OrderStatus::canceled;
    const Mapped late =
        mapped(report('F', '1', {{tag::last_qty, "4"}, {tag::last_px, "100"}}, "4", "0"), k);
    ASSERT_EQ(late.count, 1u);
    const engine::Transition t = book.apply(late.events[0]);
    EXPECT_EQ(t.result, engine::ApplyResult::illegal);  // keel journals an engine_alert
}

TEST(FixCodec, ARefusedCancelReturnsTheOrderToWhereItWas) {
    engine::OrderBook book(8);
    const engine::OrderPayload o = order(OrderType::limit, "10", "100");
    book.apply(sent(o, OrderAction::new_order, kTs));
    const KnownOrder k = known(OrderStatus::pending_new);
    book.apply(mapped(report('0', '0'), k).events[0]);
    ASSERT_EQ(book.apply(sent(o, OrderAction::cancel, kTs)).to, OrderStatus::pending_cancel);
    CancelReject c;
    c.response_to = 1;
    c.cxl_rej_reason = 0;
    const engine::Transition t = book.apply(map_cancel_reject(c, k, kTs).events[0]);
    EXPECT_EQ(t.result, engine::ApplyResult::applied);
    EXPECT_EQ(t.to, OrderStatus::accepted);
}

}  // namespace keel

TEST(FixCodec, UtcTimestampsAreWrittenToTheMillisecondAndReadBack) {
    const std::int64_t ns = 1'796'000'000'123'456'789;  // 2026-11-30T...
    const std::string text = keel::adapters::fix::utc_timestamp(ns);
    EXPECT_EQ(text.size(), 21u);
    EXPECT_EQ(text[8], '-');
    EXPECT_EQ(text.substr(17), ".123");
    EXPECT_EQ(keel::adapters::fix::parse_utc_timestamp(text), ns - 456'789);
    EXPECT_EQ(keel::adapters::fix::parse_utc_timestamp("20261207-08:00:00"), 1'796'630'400'000'000'000);
    EXPECT_EQ(keel::adapters::fix::parse_utc_timestamp("2026-12-07T08:00:00"), std::nullopt);
    EXPECT_EQ(keel::adapters::fix::parse_utc_timestamp("garbage"), std::nullopt);
}
