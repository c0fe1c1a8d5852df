// Proves the Alpaca codec: keel's orders encode into Alpaca's JSON bodies (exact decimals, escaped
// ids and symbols, refused order types and terms); Alpaca's orders, positions, account, error
// bodies and trade_updates messages decode exactly, and malformed ones are refused naming the
// field, never thrown; HTTP answers classify into ok / rejected / in doubt / auth failed / not
// found (a reused client_order_id is in doubt, never a reject); and every order status and
// trade_updates event maps onto the venue replies SimVenue would post, by the fill rule (exact
// price, catch-up after missed executions, late and duplicate cumulative figures), driving the
// gateway's OrderBook through whole order lives.
#include <gtest/gtest.h>

#include <simdjson.h>

#include <cstring>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "keel/adapters/alpaca/alpaca_codec.hpp"
#include "keel/adapters/sim_venue/sim_venue.hpp"
#include "keel/engine/orders/order_book.hpp"
#include "venue_test_support.hpp"

namespace keel {
namespace {

using namespace adapters::alpaca;
using adapters::KnownOrder;
using adapters::Mapped;
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
using test::M;
using test::order;
using test::P;
using test::Q;

// --- Alpaca's JSON, as its paper API writes it ---

// An order object with every field Alpaca sends, in its order; `changes` replaces a field's raw
// JSON value, or removes the field when the value is nullptr. A key not in the object is added.
using Changes = std::vector<std::pair<std::string, const char*>>;

std::string order_json(const Changes& changes = {}) {
    std::vector<std::pair<std::string, std::string>> fields = {
        {"id", R"("61e69015-8549-4bfd-b9c3-01e75843f47d")"},
        {"client_order_id", R"("k7f3a2-17")"},
        {"created_at", R"("2026-12-07T15:30:00.123456Z")"},
        {"updated_at", R"("2026-12-07T15:30:00.123456Z")"},
        {"submitted_at", R"("2026-12-07T15:30:00.123456Z")"},
        {"filled_at", "null"},
        {"expired_at", "null"},
        {"canceled_at", "null"},
        {"failed_at", "null"},
        {"replaced_at", "null"},
        {"replaced_by", "null"},
        {"replaces", "null"},
        {"asset_id", R"("b0b6dd9d-8b9b-48a9-ba46-b9d54906e415")"},
        {"symbol", R"("AAPL")"},
        {"asset_class", R"("us_equity")"},
        {"notional", "null"},
        {"qty", R"("10")"},
        {"filled_qty", R"("0")"},
        {"filled_avg_price", "null"},
        {"order_class", R"("")"},
        {"order_type", R"("limit")"},
        {"type", R"("limit")"},
        {"side", R"("buy")"},
        {"time_in_force", R"("day")"},
        {"limit_price", R"("101.25")"},
        {"stop_price", "null"},
        {"status", R"("new")"},
        {"extended_hours", "false"},
        {"legs", "null"},
        {"trail_percent", "null"},
        {"trail_price", "null"},
        {"hwm", "null"},
        {"commission", R"("0")"},
    };
    for (const auto& [key, value] : changes) {
        auto at = fields.begin();
        while (at != fields.end() && at->first != key)
            ++at;
        if (value == nullptr) {
            if (at != fields.end())
                fields.erase(at);
        } else if (at != fields.end()) {
            at->second = value;
        } else {
            fields.emplace_back(key, value);
        }
    }
    std::string json = "{";
    for (const auto& [key, value] : fields)
        json += (json.size() > 1 ? ",\"" : "\"") + key + "\":" + value;
    return json + "}";
}

// A trade_updates message about order_json(changes), with the event's own fields (raw JSON
// members, e.g. R"("price":"101.5")").
std::string update_json(const char* event, const Changes& changes = {},
                        const std::string& extra = {}) {
    std::string data = std::string(R"({"event":")") + event + R"(","order":)" +
                       order_json(changes) + R"(,"timestamp":"2026-12-07T15:30:01.5Z")";
    if (!extra.empty())
        data += "," + extra;
    return R"({"stream":"trade_updates","data":)" + data + "}}";
}

Order decoded_order(const std::string& json) {
    Order o;
    const auto error = decode_order(json, o);
    EXPECT_FALSE(error.has_value()) << error->field << ": " << error->what << "\n" << json;
    return o;
}

DecodeError order_error(const std::string& json) {
    Order o;
    const auto error = decode_order(json, o);
    EXPECT_TRUE(error.has_value()) << json;
    return error.value_or(DecodeError{});
}

TradeUpdate decoded_update(const std::string& json) {
    StreamMessage m;
    const auto error = decode_stream_message(json, m);
    EXPECT_FALSE(error.has_value()) << error->field << ": " << error->what << "\n" << json;
    EXPECT_EQ(m.kind, StreamMessage::trade_update);
    return m.update;
}

DecodeError stream_error(const std::string& json) {
    StreamMessage m;
    const auto error = decode_stream_message(json, m);
    EXPECT_TRUE(error.has_value()) << json;
    return error.value_or(DecodeError{});
}

// --- names ---

TEST(AlpacaCodecNames, SidesTypesAndTimesInForceRoundTrip) {
    for (const Side s : {Side::buy, Side::sell})
        EXPECT_EQ(side_from(side_name(s)), s);
    EXPECT_EQ(side_name(Side::none), "");
    EXPECT_EQ(side_from("sell_short"), std::nullopt);
    for (const OrderType t : {OrderType::market, OrderType::limit, OrderType::stop,
                              OrderType::stop_limit, OrderType::trailing_stop})
        EXPECT_EQ(type_from(type_name(t)), t);
    EXPECT_EQ(type_name(OrderType::stop_limit), "stop_limit");
    EXPECT_EQ(type_from("bracket"), std::nullopt);
    for (const TimeInForce t :
         {TimeInForce::day, TimeInForce::gtc, TimeInForce::ioc, TimeInForce::fok})
        EXPECT_EQ(tif_from(tif_name(t)), t);
    // Alpaca's opening and closing auction orders: keel has no name for them.
    EXPECT_EQ(tif_from("opg"), std::nullopt);
    EXPECT_EQ(tif_from("cls"), std::nullopt);
}

TEST(AlpacaCodecNames, EveryStatusAndEventAlpacaListsHasANameAndOthersAreUnknown) {
    const char* statuses[] = {"new",
                              "partially_filled",
                              "filled",
                              "done_for_day",
                              "canceled",
                              "expired",
                              "replaced",
                              "pending_cancel",
                              "pending_replace",
                              "pending_new",
                              "accepted",
                              "accepted_for_bidding",
                              "stopped",
                              "rejected",
                              "suspended",
                              "calculated",
                              "held"};
    for (const char* s : statuses) {
        EXPECT_NE(status_from(s), Status::unknown) << s;
        EXPECT_EQ(to_string(status_from(s)), s);
    }
    EXPECT_EQ(status_from("new"), Status::new_);
    EXPECT_EQ(status_from("frozen"), Status::unknown);
    EXPECT_EQ(to_string(Status::unknown), "unknown");
    const char* events[] = {"new",
                            "fill",
                            "partial_fill",
                            "canceled",
                            "expired",
                            "done_for_day",
                            "replaced",
                            "rejected",
                            "pending_new",
                            "pending_cancel",
                            "pending_replace",
                            "order_cancel_rejected",
                            "order_replace_rejected",
                            "stopped",
                            "suspended",
                            "calculated",
                            "held",
                            "accepted",
                            "trade_bust",
                            "trade_correct"};
    for (const char* e : events) {
        EXPECT_NE(event_from(e), Event::unknown) << e;
        EXPECT_EQ(to_string(event_from(e)), e);
    }
    EXPECT_EQ(event_from("Fill"), Event::unknown);
}

// --- encoding ---

TEST(AlpacaCodecEncode, ALimitOrderIsAlpacasBodyWithExactDecimalStrings) {
    const Body b = encode_new_order(order(OrderType::limit, "10", "101.25"), "k7f3a2-17", "AAPL");
    ASSERT_TRUE(b.ok()) << b.why;
    EXPECT_EQ(b.json,
              R"({"symbol":"AAPL","qty":"10","side":"buy","type":"limit","time_in_force":"day",)"
              R"("limit_price":"101.25","client_order_id":"k7f3a2-17"})");
}

TEST(AlpacaCodecEncode, EachOrderTypeSendsThePricesItUses) {
    const std::tuple<engine::OrderPayload, const char*> cases[] = {
        {order(OrderType::market, "3", "0", "0", TimeInForce::ioc, Side::sell),
         R"({"symbol":"AAPL","qty":"3","side":"sell","type":"market","time_in_force":"ioc",)"
         R"("client_order_id":"c"})"},
        {order(OrderType::stop, "1.5", "0", "99", TimeInForce::gtc),
         R"({"symbol":"AAPL","qty":"1.5","side":"buy","type":"stop","time_in_force":"gtc",)"
         R"("stop_price":"99","client_order_id":"c"})"},
        {order(OrderType::stop_limit, "2", "99.5", "99", TimeInForce::fok),
         R"({"symbol":"AAPL","qty":"2","side":"buy","type":"stop_limit","time_in_force":"fok",)"
         R"("limit_price":"99.5","stop_price":"99","client_order_id":"c"})"},
        // keel carries a trailing stop's distance in stop_price; Alpaca calls it trail_price.
        {order(OrderType::trailing_stop, "4", "0", "0.5", TimeInForce::day, Side::sell),
         R"({"symbol":"AAPL","qty":"4","side":"sell","type":"trailing_stop",)"
         R"("time_in_force":"day","trail_price":"0.5","client_order_id":"c"})"},
    };
    for (const auto& [o, json] : cases) {
        const Body b = encode_new_order(o, "c", "AAPL");
        ASSERT_TRUE(b.ok()) << b.why;
        EXPECT_EQ(b.json, json);
    }
}

TEST(AlpacaCodecEncode, DecimalsRoundTripExactlyWithoutADouble) {
    // Values a double cannot hold: 9 significant decimals on a large integer part.
    const engine::OrderPayload o =
        order(OrderType::limit, "0.000000001", "123456789.123456789", "0");
    const Body b = encode_new_order(o, "c", "AAPL");
    ASSERT_TRUE(b.ok()) << b.why;
    EXPECT_NE(b.json.find(R"("qty":"0.000000001")"), std::string::npos) << b.json;
    EXPECT_NE(b.json.find(R"("limit_price":"123456789.123456789")"), std::string::npos) << b.json;
    // What keel sends, Alpaca echoes in its order; keel reads back the same raw values.
    const Order back = decoded_order(
        order_json({{"qty", R"("0.000000001")"}, {"limit_price", R"("123456789.123456789")"}}));
    EXPECT_EQ(back.qty, o.quantity);
    EXPECT_EQ(back.limit_price, o.price);
    // No trailing zeros, no exponent.
    EXPECT_NE(encode_new_order(order(OrderType::limit, "100", "101.5"), "c", "A")
                  .json.find(R"("limit_price":"101.5")"),
              std::string::npos);
}

TEST(AlpacaCodecEncode, IdsAndSymbolsAreEscapedIntoValidJson) {
    const std::string id = "a\"b\\c\nd\x01";
    const std::string symbol = "BRK\"B";
    const Body b = encode_new_order(order(OrderType::market), id, symbol);
    ASSERT_TRUE(b.ok()) << b.why;
    EXPECT_NE(b.json.find(R"("client_order_id":"a\"b\\c\nd\u0001")"), std::string::npos) << b.json;
    // A JSON parser reads the very same text back.
    simdjson::ondemand::parser parser;
    const simdjson::padded_string padded(b.json);
    simdjson::ondemand::document doc = parser.iterate(padded);
    std::string_view read_id;
    std::string_view read_symbol;
    ASSERT_EQ(doc["client_order_id"].get_string().get(read_id), simdjson::SUCCESS);
    EXPECT_EQ(read_id, id);
    ASSERT_EQ(doc["symbol"].get_string().get(read_symbol), simdjson::SUCCESS);
    EXPECT_EQ(read_symbol, symbol);
}

TEST(AlpacaCodecEncode, OrdersAlpacaCannotTakeAreRefusedWithAReason) {
    auto with = [](auto change) {
        engine::OrderPayload o = order(OrderType::stop_limit, "10", "101", "100");
        change(o);
        return o;
    };
    const std::tuple<engine::OrderPayload, Reason, const char*> cases[] = {
        {with([](auto& o) { o.order_type = static_cast<OrderType>(9); }),
         Reason::unsupported_order_type, "type"},
        {with([](auto& o) { o.tif = static_cast<TimeInForce>(9); }), Reason::unsupported_order_type,
         "time in force"},
        {with([](auto& o) { o.side = Side::none; }), Reason::invalid_order, "side"},
        {with([](auto& o) { o.quantity = Q("0"); }), Reason::invalid_order, "quantity"},
        {with([](auto& o) { o.quantity = Q("-1"); }), Reason::invalid_order, "quantity"},
        {with([](auto& o) { o.price = P("0"); }), Reason::invalid_order, "limit price"},
        {with([](auto& o) { o.stop_price = P("-1"); }), Reason::invalid_order, "stop price"},
        {order(OrderType::trailing_stop, "1"), Reason::invalid_order, "trail"},
    };
    for (const auto& [o, reason, why] : cases) {
        const Body b = encode_new_order(o, "c", "AAPL");
        EXPECT_FALSE(b.ok()) << why;
        EXPECT_EQ(b.refused, reason) << why;
        EXPECT_NE(b.why.find(why), std::string::npos) << b.why;
        EXPECT_TRUE(b.json.empty());
        EXPECT_EQ(encode_replace(o, "c").refused, reason) << why;
    }
    const engine::OrderPayload fine = order(OrderType::market);
    EXPECT_EQ(encode_new_order(fine, "", "AAPL").refused, Reason::invalid_order);
    EXPECT_EQ(encode_new_order(fine, "c", "").refused, Reason::invalid_order);
    EXPECT_EQ(encode_replace(fine, "").refused, Reason::invalid_order);
    // Bytes that are not UTF-8 cannot be a JSON string.
    const Body bad = encode_new_order(fine, "c\xff", "AAPL");
    EXPECT_EQ(bad.refused, Reason::invalid_order);
    EXPECT_NE(bad.why.find("UTF-8"), std::string::npos) << bad.why;
}

TEST(AlpacaCodecEncode, AReplaceSendsTheNewTermsTheTypeUses) {
    const std::tuple<engine::OrderPayload, const char*> cases[] = {
        {order(OrderType::limit, "12", "99.5", "0", TimeInForce::gtc),
         R"({"qty":"12","limit_price":"99.5","time_in_force":"gtc","client_order_id":"k-1"})"},
        {order(OrderType::stop_limit, "12", "99.5", "99"),
         R"({"qty":"12","limit_price":"99.5","stop_price":"99","time_in_force":"day",)"
         R"("client_order_id":"k-1"})"},
        {order(OrderType::market, "5"),
         R"({"qty":"5","time_in_force":"day","client_order_id":"k-1"})"},
        // PATCH names the trail distance `trail`.
        {order(OrderType::trailing_stop, "4", "0", "0.75"),
         R"({"qty":"4","trail":"0.75","time_in_force":"day","client_order_id":"k-1"})"},
    };
    for (const auto& [o, json] : cases) {
        const Body b = encode_replace(o, "k-1");
        ASSERT_TRUE(b.ok()) << b.why;
        EXPECT_EQ(b.json, json);
    }
}

// --- decoding orders ---

TEST(AlpacaCodecDecode, ARealOrderObjectDecodesEveryFieldKeelReads) {
    const Order o = decoded_order(order_json());
    EXPECT_EQ(o.id, "61e69015-8549-4bfd-b9c3-01e75843f47d");
    EXPECT_EQ(o.client_order_id, "k7f3a2-17");
    EXPECT_EQ(o.symbol, "AAPL");
    EXPECT_EQ(o.side, Side::buy);
    EXPECT_EQ(o.type, OrderType::limit);
    EXPECT_EQ(o.tif, TimeInForce::day);
    EXPECT_EQ(o.status, Status::new_);
    EXPECT_EQ(o.status_text, "new");
    EXPECT_TRUE(o.has_qty);
    EXPECT_EQ(o.qty, Q("10"));
    EXPECT_EQ(o.filled_qty, Q("0"));
    EXPECT_FALSE(o.has_filled_avg_price);
    EXPECT_TRUE(o.has_limit_price);
    EXPECT_EQ(o.limit_price, P("101.25"));
    EXPECT_FALSE(o.has_stop_price);
    EXPECT_FALSE(o.has_trail_price);
    EXPECT_TRUE(o.has_commission);
    EXPECT_EQ(o.commission, Money{});
    EXPECT_TRUE(o.replaced_by.empty());
    EXPECT_TRUE(o.replaces.empty());
}

TEST(AlpacaCodecDecode, AFilledReplacementAndATrailingStopDecode) {
    const Order o = decoded_order(order_json({{"status", R"("filled")"},
                                              {"filled_qty", R"("10")"},
                                              {"filled_avg_price", R"("101.1")"},
                                              {"replaces", R"("0f8e-old")"},
                                              {"commission", R"("0.35")"}}));
    EXPECT_EQ(o.status, Status::filled);
    EXPECT_EQ(o.filled_qty, Q("10"));
    EXPECT_TRUE(o.has_filled_avg_price);
    EXPECT_EQ(o.filled_avg_price, P("101.1"));
    EXPECT_EQ(o.replaces, "0f8e-old");
    EXPECT_EQ(o.commission, M("0.35"));
    const Order old =
        decoded_order(order_json({{"status", R"("replaced")"}, {"replaced_by", R"("9a1c-new")"}}));
    EXPECT_EQ(old.status, Status::replaced);
    EXPECT_EQ(old.replaced_by, "9a1c-new");
    const Order trail = decoded_order(order_json({{"type", R"("trailing_stop")"},
                                                  {"order_type", R"("trailing_stop")"},
                                                  {"limit_price", "null"},
                                                  {"trail_price", R"("0.5")"},
                                                  {"hwm", R"("102.4")"}}));
    EXPECT_EQ(trail.type, OrderType::trailing_stop);
    EXPECT_FALSE(trail.has_limit_price);
    EXPECT_TRUE(trail.has_trail_price);
    EXPECT_EQ(trail.trail_price, P("0.5"));
}

TEST(AlpacaCodecDecode, NamesKeelDoesNotKnowAreKeptAsTextNotErrors) {
    const Order o = decoded_order(order_json({{"type", R"("bracket_limit")"},
                                              {"order_type", R"("bracket_limit")"},
                                              {"time_in_force", R"("opg")"},
                                              {"status", R"("frozen")"}}));
    EXPECT_EQ(o.type, std::nullopt);
    EXPECT_EQ(o.type_text, "bracket_limit");
    EXPECT_EQ(o.tif, std::nullopt);
    EXPECT_EQ(o.tif_text, "opg");
    EXPECT_EQ(o.status, Status::unknown);
    EXPECT_EQ(o.status_text, "frozen");
    // `type` wins over order_type, in either order; order_type alone is enough.
    EXPECT_EQ(decoded_order(order_json({{"order_type", R"("market")"}})).type, OrderType::limit);
    EXPECT_EQ(decoded_order(order_json({{"type", nullptr}, {"order_type", R"("stop")"}})).type,
              OrderType::stop);
    const std::string type_first =
        R"({"type":"stop","order_type":"market","id":"i","client_order_id":"c","symbol":"S",)"
        R"("side":"sell","time_in_force":"gtc","status":"new","qty":"1","filled_qty":"0"})";
    EXPECT_EQ(decoded_order(type_first).type, OrderType::stop);
}

TEST(AlpacaCodecDecode, ANotionalOrderHasANullQty) {
    const Order o = decoded_order(order_json({{"qty", "null"}, {"notional", R"("500")"}}));
    EXPECT_FALSE(o.has_qty);
    EXPECT_EQ(o.qty, Quantity{});
}

TEST(AlpacaCodecDecode, JsonNumbersAreReadExactlyFromTheirText) {
    const Order o = decoded_order(
        order_json({{"qty", "10"}, {"limit_price", "101.25"}, {"filled_qty", "1e1"}}));
    EXPECT_EQ(o.qty, Q("10"));
    EXPECT_EQ(o.limit_price, P("101.25"));
    EXPECT_EQ(o.filled_qty, Q("10"));
}

TEST(AlpacaCodecDecode, EachMissingRequiredFieldIsAnErrorNamingIt) {
    for (const char* field : {"id", "client_order_id", "symbol", "side", "time_in_force", "status",
                              "qty", "filled_qty"}) {
        const DecodeError e = order_error(order_json({{field, nullptr}}));
        EXPECT_EQ(e.field, field);
        EXPECT_EQ(e.what, "is missing");
    }
    EXPECT_EQ(order_error(order_json({{"type", nullptr}, {"order_type", nullptr}})).field, "type");
}

TEST(AlpacaCodecDecode, WrongTypesAndBadValuesAreErrorsNamingTheField) {
    const std::tuple<const char*, const char*, const char*> cases[] = {
        {"qty", "true", "is not a decimal string"},
        {"qty", R"("-1")", "is negative"},
        {"qty", R"("ten")", "is not a decimal"},
        {"filled_qty", "null", "is null"},
        {"limit_price", R"("1.0000000001")", "more than 9 decimal places"},
        {"limit_price", R"({"value":"1"})", "is not a decimal string"},
        {"commission", "[]", "is not a decimal string"},
        {"side", "1", "is not a string"},
        {"side", R"("short")", "is neither buy nor sell"},
        {"id", R"("")", "is empty"},
        {"symbol", "null", "is null"},
        {"status", "7", "is not a string"},
        {"replaced_by", "false", "is not a string"},
    };
    for (const auto& [field, value, what] : cases) {
        const DecodeError e = order_error(order_json({{field, value}}));
        EXPECT_EQ(e.field, field) << value;
        EXPECT_NE(e.what.find(what), std::string::npos) << field << " " << value << ": " << e.what;
    }
}

TEST(AlpacaCodecDecode, MalformedDocumentsAreErrorsNeverThrows) {
    const std::string good = order_json();
    const std::string cases[] = {
        "",
        "not json",
        good.substr(0, good.size() / 2),  // cut off mid-way
        "[" + good + "]",                 // an array where an object belongs
        "\"AAPL\"",
        good + " {}",                                         // content after the object
        good.substr(0, good.size() - 1) + R"(,"qty":"11"})",  // a repeated key
    };
    for (const std::string& json : cases) {
        Order o;
        EXPECT_TRUE(decode_order(json, o).has_value()) << json;
    }
    EXPECT_EQ(order_error(cases[6]).field, "qty");
    EXPECT_EQ(order_error(cases[6]).what, "is repeated");
}

TEST(AlpacaCodecDecode, FieldsKeelDoesNotReadAreSkippedWhateverTheyHold) {
    // A bracket's legs are whole orders, and other fields may hold anything.
    const std::string legs = "[" + order_json({{"qty", "true"}}) + "]";
    const Order o = decoded_order(order_json({{"legs", legs.c_str()},
                                              {"source", R"({"nested":[1,2,{"deep":null}]})"},
                                              {"subtag", "null"},
                                              {"position_intent", R"("buy_to_open")"}}));
    EXPECT_EQ(o.qty, Q("10"));
}

TEST(AlpacaCodecDecode, AnOrderListDecodesEachOrderAndNamesTheOneThatIsWrong) {
    std::vector<Order> orders;
    ASSERT_FALSE(decode_orders("[" + order_json() + "," +
                                   order_json({{"client_order_id", R"("k7f3a2-18")"}}) + "]",
                               orders)
                     .has_value());
    ASSERT_EQ(orders.size(), 2u);
    EXPECT_EQ(orders[1].client_order_id, "k7f3a2-18");
    ASSERT_FALSE(decode_orders("[]", orders).has_value());
    EXPECT_TRUE(orders.empty());
    const auto bad =
        decode_orders("[" + order_json() + "," + order_json({{"qty", R"("x")"}}) + "]", orders);
    ASSERT_TRUE(bad.has_value());
    EXPECT_EQ(bad->field, "[1].qty");
    EXPECT_TRUE(orders.empty());
    const auto not_object = decode_orders("[1]", orders);
    ASSERT_TRUE(not_object.has_value());
    EXPECT_EQ(not_object->field, "[0]");
    EXPECT_TRUE(decode_orders(order_json(), orders).has_value());  // not an array
}

// --- the trade_updates stream ---

TEST(AlpacaCodecStream, AuthorizationSaysWhetherTheKeyWasTaken) {
    StreamMessage m;
    ASSERT_FALSE(
        decode_stream_message(R"({"stream":"authorization","data":{"action":"authenticate",)"
                              R"("status":"authorized"}})",
                              m)
            .has_value());
    EXPECT_EQ(m.kind, StreamMessage::authorization);
    EXPECT_TRUE(m.authorized);
    // data before stream: the order of the two does not matter.
    ASSERT_FALSE(decode_stream_message(
                     R"({"data":{"action":"authenticate","message":"access key verification )"
                     R"(failed","status":"unauthorized"},"stream":"authorization"})",
                     m)
                     .has_value());
    EXPECT_EQ(m.kind, StreamMessage::authorization);
    EXPECT_FALSE(m.authorized);
    EXPECT_EQ(m.message, "access key verification failed");
    EXPECT_EQ(stream_error(R"({"stream":"authorization","data":{"action":"authenticate"}})").field,
              "data.status");
}

TEST(AlpacaCodecStream, ListeningSaysWhetherTradeUpdatesAreAmongTheStreams) {
    StreamMessage m;
    ASSERT_FALSE(
        decode_stream_message(R"({"stream":"listening","data":{"streams":["trade_updates"]}})", m)
            .has_value());
    EXPECT_EQ(m.kind, StreamMessage::listening);
    EXPECT_TRUE(m.trade_updates);
    ASSERT_FALSE(
        decode_stream_message(R"({"stream":"listening","data":{"streams":[]}})", m).has_value());
    EXPECT_EQ(m.kind, StreamMessage::listening);
    EXPECT_FALSE(m.trade_updates);
    ASSERT_FALSE(decode_stream_message(
                     R"({"stream":"listening","data":{"error":"invalid stream requested"}})", m)
                     .has_value());
    EXPECT_EQ(m.kind, StreamMessage::error);
    EXPECT_EQ(m.message, "invalid stream requested");
    EXPECT_EQ(stream_error(R"({"stream":"listening","data":{"streams":[1]}})").field,
              "data.streams");
}

TEST(AlpacaCodecStream, AFillEventDecodesWithItsExecutionAndTheOrderAfterIt) {
    const TradeUpdate u = decoded_update(update_json(
        "fill",
        {{"status", R"("filled")"}, {"filled_qty", R"("10")"}, {"filled_avg_price", R"("101")"}},
        R"("execution_id":"5f1e-x9","price":"101.5","qty":"2","position_qty":"10")"));
    EXPECT_EQ(u.event, Event::fill);
    EXPECT_EQ(u.event_text, "fill");
    EXPECT_EQ(u.execution_id, "5f1e-x9");
    EXPECT_TRUE(u.has_price);
    EXPECT_EQ(u.price, P("101.5"));
    EXPECT_TRUE(u.has_qty);
    EXPECT_EQ(u.qty, Q("2"));
    EXPECT_EQ(u.timestamp, "2026-12-07T15:30:01.5Z");
    EXPECT_EQ(u.order.status, Status::filled);
    EXPECT_EQ(u.order.filled_qty, Q("10"));
    // An event without an execution: no price, no qty.
    const TradeUpdate accepted = decoded_update(update_json("accepted"));
    EXPECT_EQ(accepted.event, Event::accepted);
    EXPECT_FALSE(accepted.has_price);
    EXPECT_FALSE(accepted.has_qty);
    EXPECT_TRUE(accepted.execution_id.empty());
}

TEST(AlpacaCodecStream, AMalformedTradeUpdateNamesTheFieldByItsPath) {
    EXPECT_EQ(stream_error(update_json("fill", {{"filled_qty", R"("x")"}})).field,
              "data.order.filled_qty");
    EXPECT_EQ(stream_error(update_json("fill", {}, R"("price":true)")).field, "data.price");
    EXPECT_EQ(stream_error(R"({"stream":"trade_updates","data":{"event":"fill"}})").field,
              "data.order");
    EXPECT_EQ(stream_error(R"({"stream":"trade_updates","data":{"event":"fill","order":7}})").field,
              "data.order");
    // Seen from Alpaca (Alpaca-API issue 110): a trade update without data.
    EXPECT_EQ(stream_error(R"({"stream":"trade_updates","data":null})").field, "data");
    EXPECT_EQ(stream_error(R"({"data":{}})").field, "stream");
    EXPECT_EQ(stream_error(R"({"stream":"trade_updates"})").field, "data");
    EXPECT_EQ(stream_error("not json").field, "");
}

TEST(AlpacaCodecStream, ABinaryFrameCarriesTheSameTextAndDecodesTheSame) {
    // Paper Alpaca sends its JSON in binary WebSocket frames: the payload is bytes, not text.
    const std::string text =
        update_json("partial_fill", {{"status", R"("partially_filled")"}, {"filled_qty", R"("4")"}},
                    R"("execution_id":"e1","price":"101","qty":"4")");
    const std::vector<unsigned char> frame(text.begin(), text.end());
    const std::string from_binary(reinterpret_cast<const char*>(frame.data()), frame.size());
    const TradeUpdate a = decoded_update(text);
    const TradeUpdate b = decoded_update(from_binary);
    EXPECT_EQ(a.event, b.event);
    EXPECT_EQ(a.execution_id, b.execution_id);
    EXPECT_EQ(a.price, b.price);
    EXPECT_EQ(a.qty, b.qty);
    EXPECT_EQ(a.order.filled_qty, b.order.filled_qty);
    EXPECT_EQ(b.order.status, Status::partially_filled);
}

TEST(AlpacaCodecStream, OtherStreamsAndErrorsAreToldApart) {
    StreamMessage m;
    ASSERT_FALSE(decode_stream_message(R"({"stream":"account_updates","data":{}})", m).has_value());
    EXPECT_EQ(m.kind, StreamMessage::other);
    EXPECT_NE(m.message.find("account_updates"), std::string::npos) << m.message;
    ASSERT_FALSE(decode_stream_message(R"({"stream":"error","data":{"message":"too many"}})", m)
                     .has_value());
    EXPECT_EQ(m.kind, StreamMessage::error);
    EXPECT_EQ(m.message, "too many");
    ASSERT_FALSE(
        decode_stream_message(R"({"stream":"x","data":{"error":"bad action"}})", m).has_value());
    EXPECT_EQ(m.kind, StreamMessage::error);
    EXPECT_EQ(m.message, "bad action");
    // A message alone is no error on a stream that is not "error".
    ASSERT_FALSE(
        decode_stream_message(R"({"stream":"x","data":{"message":"hello"}})", m).has_value());
    EXPECT_EQ(m.kind, StreamMessage::other);
}

// --- error bodies, positions, account ---

TEST(AlpacaCodecError, AnErrorBodyGivesItsCodeAndMessage) {
    const ApiError bp =
        decode_error(R"({"buying_power":"120.5","code":40310000,"cost_basis":"1012.5",)"
                     R"("message":"insufficient buying power"})");
    EXPECT_EQ(bp.code, 40310000);
    EXPECT_EQ(bp.message, "insufficient buying power");
    const ApiError unique =
        decode_error(R"({"code":40010001,"message":"client_order_id must be unique"})");
    EXPECT_EQ(unique.code, 40010001);
    EXPECT_EQ(decode_error(R"({"message":"unauthorized"})").code, 0);
    EXPECT_EQ(decode_error(R"({"code":"42910000","message":"rate limit exceeded"})").code,
              42910000);
}

TEST(AlpacaCodecError, ABodyThatIsNotJsonBecomesItsFirst200BytesOnOneLine) {
    const std::string html = "<html>\r\n<head><title>502 Bad Gateway</title></head>\n" +
                             std::string(300, 'x') + "</html>";
    const ApiError e = decode_error(html);
    EXPECT_EQ(e.code, 0);
    ASSERT_EQ(e.message.size(), 200u);
    EXPECT_EQ(e.message.substr(0, 8), "<html>  ");  // CR LF as spaces: one journal line
    EXPECT_EQ(e.message.find('\n'), std::string::npos);
    EXPECT_EQ(decode_error("").message, "");
    EXPECT_EQ(decode_error(R"({"code":500})").message, R"({"code":500})");
    // A cut never splits a UTF-8 character.
    const ApiError utf8 = decode_error(std::string(199, 'a') + "\xc3\xa9" + "tail");
    EXPECT_EQ(utf8.message, std::string(199, 'a'));
}

TEST(AlpacaCodecAccount, PositionsAreSignedAndKeepTheirAverageEntryPrice) {
    const std::string json =
        R"([{"asset_id":"b0b6dd9d-8b9b-48a9-ba46-b9d54906e415","symbol":"AAPL",)"
        R"("exchange":"NASDAQ","asset_class":"us_equity","qty":"15","side":"long",)"
        R"("avg_entry_price":"101.0333","market_value":"1530","cost_basis":"1515.5",)"
        R"("unrealized_pl":"14.5","current_price":"102"},)"
        R"({"asset_id":"c1","symbol":"TSLA","exchange":"NASDAQ","asset_class":"us_equity",)"
        R"("qty":"-5","side":"short","avg_entry_price":"250.5","market_value":"-1250",)"
        R"("cost_basis":"-1252.5","unrealized_pl":"2.5","current_price":"250"}])";
    std::vector<Position> positions;
    ASSERT_FALSE(decode_positions(json, positions).has_value());
    ASSERT_EQ(positions.size(), 2u);
    EXPECT_EQ(positions[0].symbol, "AAPL");
    EXPECT_EQ(positions[0].qty, Q("15"));
    EXPECT_EQ(positions[0].avg_entry_price, P("101.0333"));
    EXPECT_EQ(positions[1].qty, Q("-5"));
    // An unsigned short quantity is still a short.
    ASSERT_FALSE(
        decode_positions(R"([{"symbol":"TSLA","qty":"5","side":"short","avg_entry_price":"1"}])",
                         positions)
            .has_value());
    EXPECT_EQ(positions[0].qty, Q("-5"));
    const auto missing = decode_positions(R"([{"symbol":"TSLA","qty":"5"}])", positions);
    ASSERT_TRUE(missing.has_value());
    EXPECT_EQ(missing->field, "[0].avg_entry_price");
    EXPECT_TRUE(positions.empty());
}

TEST(AlpacaCodecAccount, TheAccountDecodesWithOrWithoutThePatternDayTraderFields) {
    const std::string base =
        R"({"id":"e6fe16f3","account_number":"PA2TDUQIGRVE","status":"ACTIVE",)"
        R"("currency":"USD","cash":"100000","buying_power":"200000.5","equity":"100012.25",)"
        R"("portfolio_value":"100012.25","trading_blocked":false,"account_blocked":false)";
    for (const std::string& json :
         {base + "}", base + R"(,"pattern_day_trader":false,"daytrade_count":0,)"
                             R"("daytrading_buying_power":"0"})"}) {
        Account a;
        const auto error = decode_account(json, a);
        ASSERT_FALSE(error.has_value()) << error->field << ": " << error->what;
        EXPECT_EQ(a.cash, M("100000"));
        EXPECT_EQ(a.buying_power, M("200000.5"));
        EXPECT_EQ(a.equity, M("100012.25"));
        EXPECT_EQ(a.status, "ACTIVE");
        EXPECT_FALSE(a.trading_blocked);
        EXPECT_FALSE(a.account_blocked);
    }
    Account a;
    EXPECT_EQ(decode_account(R"({"cash":"1","buying_power":"1","equity":"1","status":"ACTIVE",)"
                             R"("account_blocked":false})",
                             a)
                  ->field,
              "trading_blocked");
    EXPECT_EQ(decode_account(R"({"cash":"1","buying_power":"1","equity":"1","status":"ACTIVE",)"
                             R"("trading_blocked":"false","account_blocked":false})",
                             a)
                  ->field,
              "trading_blocked");
    EXPECT_EQ(decode_account(R"({"cash":1.0000000001})", a)->field, "cash");
}

// --- HTTP answers ---

TEST(AlpacaCodecClassify, EveryAnswerIsOkRejectedInDoubtAuthFailedOrNotFound) {
    const ApiError none;
    const ApiError unique{40010001, "client_order_id must be unique"};
    const ApiError invalid{40010001, "qty must be > 0"};
    const ApiError buying_power{40310000, "insufficient buying power"};
    const ApiError wash{40310000, "potential wash trade detected. use complex orders"};
    const ApiError key{40110000, "request is not authorized"};
    const ApiError forbidden{0, "Forbidden."};
    const std::tuple<unsigned, ApiError, Answer, Reason> cases[] = {
        {200, none, Answer::ok, Reason::none},
        {204, none, Answer::ok, Reason::none},
        {401, ApiError{0, "unauthorized"}, Answer::auth_failed, Reason::venue_rejected},
        {403, key, Answer::auth_failed, Reason::venue_rejected},
        {403, forbidden, Answer::auth_failed, Reason::venue_rejected},
        {403, buying_power, Answer::rejected, Reason::insufficient_buying_power},
        {403, wash, Answer::rejected, Reason::venue_rejected},
        {422, unique, Answer::in_doubt, Reason::none},
        {422, invalid, Answer::rejected, Reason::invalid_order},
        {400, invalid, Answer::rejected, Reason::venue_rejected},
        {405, none, Answer::rejected, Reason::venue_rejected},
        {404, ApiError{40410000, "order not found"}, Answer::not_found,
         Reason::venue_unknown_order},
        {408, none, Answer::in_doubt, Reason::none},
        {429, ApiError{42910000, "rate limit exceeded"}, Answer::in_doubt, Reason::none},
        {500, none, Answer::in_doubt, Reason::none},
        {502, none, Answer::in_doubt, Reason::none},
        {504, none, Answer::in_doubt, Reason::none},
        {0, none, Answer::in_doubt, Reason::none},
        {301, none, Answer::in_doubt, Reason::none},
    };
    for (const auto& [status, error, answer, reason] : cases) {
        EXPECT_EQ(classify(status, error), answer)
            << status << " " << error.message << ": " << to_string(classify(status, error));
        EXPECT_EQ(reject_reason(status, error), reason) << status << " " << error.message;
    }
    // The unique-id answer is told by its message, whatever its case.
    EXPECT_EQ(classify(422, ApiError{0, "Client_Order_ID must be unique"}), Answer::in_doubt);
}

// --- mapping ---

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

Mapped snapshot(const Changes& changes, const KnownOrder& k) {
    return map_order_snapshot(decoded_order(order_json(changes)), k, kTs);
}

Mapped updated(const std::string& json, const KnownOrder& k) {
    return map_trade_update(decoded_update(json), k, kTs);
}

// The header every mapped reply carries, and the order payload's terms from the known order.
void expect_order_reply(const engine::Event& e, EventType type, OrderStatus status, Reason reason,
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

void expect_ack(const engine::Event& e, const KnownOrder& k) {
    expect_order_reply(e, EventType::venue_ack, OrderStatus::accepted, Reason::none,
                       OrderAction::new_order, k);
}

void expect_fill(const engine::Event& e, const char* qty, const char* price, bool final,
                 Money fee = Money{}) {
    EXPECT_EQ(e.header.type, EventType::venue_fill);
    EXPECT_EQ(e.header.source, engine::Source::venue);
    EXPECT_EQ(e.header.symbol, 2u);
    EXPECT_EQ(e.header.aux, 3u);
    EXPECT_EQ(e.payload.fill.order_id, 7u);
    EXPECT_EQ(e.payload.fill.side, Side::buy);
    EXPECT_EQ(e.payload.fill.quantity, Q(qty));
    EXPECT_EQ(e.payload.fill.price, P(price));
    EXPECT_EQ(e.payload.fill.fee, fee);
    EXPECT_EQ(e.payload.fill.flags, final ? engine::kFillFinal : 0);
}

TEST(AlpacaCodecSnapshot, ThePostAnswerAcksAPendingOrderWhateverItsWorkingStatus) {
    const KnownOrder k = known(OrderStatus::pending_new);
    for (const char* status : {R"("new")", R"("accepted")", R"("pending_new")", R"("held")"}) {
        const Mapped m = snapshot({{"status", status}}, k);
        ASSERT_EQ(m.count, 1u) << status;
        expect_ack(m.events[0], k);
        EXPECT_EQ(m.events[0].payload.order.price, P("100"));
        EXPECT_EQ(m.events[0].payload.order.quantity, Q("10"));
    }
    // Keel holds it acked already: the same answer again is nothing.
    const Mapped again = snapshot({{"status", R"("new")"}}, known());
    EXPECT_EQ(again.count, 0u);
    EXPECT_NE(again.note.find("matches"), std::string::npos) << again.note;
}

TEST(AlpacaCodecSnapshot, AnOrderThatFilledBeforeItsAnswerIsAckedThenFilledAtItsAverage) {
    const KnownOrder k = known(OrderStatus::pending_new);
    const Mapped m = snapshot(
        {{"status", R"("filled")"}, {"filled_qty", R"("10")"}, {"filled_avg_price", R"("100.5")"}},
        k);
    ASSERT_EQ(m.count, 2u);
    expect_ack(m.events[0], k);
    expect_fill(m.events[1], "10", "100.5", true);
    const Mapped part = snapshot({{"status", R"("partially_filled")"},
                                  {"filled_qty", R"("4")"},
                                  {"filled_avg_price", R"("100.25")"}},
                                 k);
    ASSERT_EQ(part.count, 2u);
    expect_fill(part.events[1], "4", "100.25", false);
}

TEST(AlpacaCodecSnapshot, APartFilledOrderCanceledBeforeItsAnswerIsAckFillAndCancel) {
    const KnownOrder k = known(OrderStatus::pending_new);
    const Mapped m = snapshot(
        {{"status", R"("canceled")"}, {"filled_qty", R"("3")"}, {"filled_avg_price", R"("99.9")"}},
        k);
    ASSERT_EQ(m.count, 3u);
    expect_ack(m.events[0], k);
    expect_fill(m.events[1], "3", "99.9", false);
    expect_order_reply(m.events[2], EventType::venue_cancel, OrderStatus::canceled,
                       Reason::canceled_on_request, OrderAction::cancel, k);
}

TEST(AlpacaCodecSnapshot, AnExpiredOrderClosesByItsTimeInForce) {
    const std::tuple<TimeInForce, Reason, OrderStatus> cases[] = {
        {TimeInForce::ioc, Reason::ioc_remainder, OrderStatus::canceled},
        {TimeInForce::fok, Reason::fok_unfillable, OrderStatus::canceled},
        {TimeInForce::day, Reason::expired_day, OrderStatus::expired},
        {TimeInForce::gtc, Reason::expired_day, OrderStatus::expired},
    };
    for (const auto& [tif, reason, status] : cases) {
        const KnownOrder k = known(OrderStatus::accepted, tif);
        const Mapped m = snapshot({{"status", R"("expired")"}}, k);
        ASSERT_EQ(m.count, 1u);
        expect_order_reply(m.events[0], EventType::venue_cancel, status, reason,
                           OrderAction::new_order, k);
        EXPECT_TRUE(engine::is_expiry(m.events[0].payload.order.reason));
    }
}

TEST(AlpacaCodecSnapshot, DoneForDayExpiresDayOrdersOnly) {
    const KnownOrder day = known(OrderStatus::accepted, TimeInForce::day);
    const Mapped m = snapshot({{"status", R"("done_for_day")"}}, day);
    ASSERT_EQ(m.count, 1u);
    expect_order_reply(m.events[0], EventType::venue_cancel, OrderStatus::expired,
                       Reason::expired_day, OrderAction::new_order, day);
    const Mapped gtc = snapshot({{"status", R"("done_for_day")"}, {"time_in_force", R"("gtc")"}},
                                known(OrderStatus::accepted, TimeInForce::gtc));
    EXPECT_EQ(gtc.count, 0u);
    EXPECT_NE(gtc.note.find("rests on"), std::string::npos) << gtc.note;
}

TEST(AlpacaCodecSnapshot, ARejectedOrderIsARejectWhilePendingAndACancelOnceWorking) {
    const KnownOrder pending = known(OrderStatus::pending_new);
    const Mapped m = snapshot({{"status", R"("rejected")"}}, pending);
    ASSERT_EQ(m.count, 1u);  // no ack first
    expect_order_reply(m.events[0], EventType::venue_reject, OrderStatus::rejected,
                       Reason::venue_rejected, OrderAction::new_order, pending);
    const KnownOrder working = known(OrderStatus::accepted);
    const Mapped dropped = snapshot({{"status", R"("rejected")"}}, working);
    ASSERT_EQ(dropped.count, 1u);
    expect_order_reply(dropped.events[0], EventType::venue_cancel, OrderStatus::canceled,
                       Reason::venue_rejected, OrderAction::new_order, working);
}

TEST(AlpacaCodecSnapshot, AReplacedOrderGivesOnlyTheFillsItHadAndPointsAtItsReplacement) {
    KnownOrder k = known(OrderStatus::pending_replace);
    const Mapped m = snapshot({{"status", R"("replaced")"}, {"replaced_by", R"("9a1c-new")"}}, k);
    EXPECT_EQ(m.count, 0u);
    EXPECT_NE(m.note.find("9a1c-new"), std::string::npos) << m.note;
    const Mapped filled = snapshot({{"status", R"("replaced")"},
                                    {"replaced_by", R"("9a1c-new")"},
                                    {"filled_qty", R"("2")"},
                                    {"filled_avg_price", R"("100")"}},
                                   k);
    ASSERT_EQ(filled.count, 1u);
    expect_fill(filled.events[0], "2", "100", false);
}

TEST(AlpacaCodecSnapshot, AnOrderKeelHoldsClosedOrCompletedIsNotClosedAgain) {
    KnownOrder k = known(OrderStatus::canceled);
    EXPECT_EQ(snapshot({{"status", R"("canceled")"}}, k).count, 0u);
    // The fills complete keel's quantity: nothing is left to cancel.
    k = known(OrderStatus::partially_filled);
    k.filled = Q("6");
    k.filled_notional = M("600");
    const Mapped m = snapshot({{"status", R"("canceled")"},
                               {"filled_qty", R"("10")"},
                               {"filled_avg_price", R"("100.4")"}},
                              k);
    ASSERT_EQ(m.count, 1u);
    // 10 at 100.4 is 1004; keel has 600 for 6: the other 4 came to 404.
    expect_fill(m.events[0], "4", "101", false);
}

// --- the fill rule ---

TEST(AlpacaCodecFillRule, OneNewExecutionIsFilledAtItsOwnPrice) {
    // Alpaca rounds filled_avg_price (5 at 100.5 would make the 3 new ones 100.833...): the
    // execution's own price is exact.
    KnownOrder k = known(OrderStatus::partially_filled);
    k.filled = Q("2");
    k.filled_notional = M("200");
    const Mapped m = updated(update_json("partial_fill",
                                         {{"status", R"("partially_filled")"},
                                          {"filled_qty", R"("5")"},
                                          {"filled_avg_price", R"("100.5")"}},
                                         R"("execution_id":"e2","price":"101","qty":"3")"),
                             k);
    ASSERT_EQ(m.count, 1u);
    expect_fill(m.events[0], "3", "101", false);
    EXPECT_EQ(m.events[0].header.ts_ns, kTs);
    EXPECT_EQ(m.events[0].header.seq, 0u);
}

TEST(AlpacaCodecFillRule, MissedExecutionsAreCaughtUpAtThePriceThatMatchesAlpacasAverage) {
    KnownOrder k = known(OrderStatus::partially_filled);
    k.filled = Q("4");
    k.filled_notional = M("400");  // 4 at 100
    // keel missed an execution: this event's qty (2) is not the 6 keel lacks. Alpaca has 10
    // at 101: the missing 6 came to 1010 - 400 = 610, 101.666666666..., to the nearest 1e-9.
    const Mapped m = updated(update_json("fill",
                                         {{"status", R"("filled")"},
                                          {"filled_qty", R"("10")"},
                                          {"filled_avg_price", R"("101")"}},
                                         R"("execution_id":"e3","price":"102","qty":"2")"),
                             k);
    ASSERT_EQ(m.count, 1u);
    expect_fill(m.events[0], "6", "101.666666667", true);
}

TEST(AlpacaCodecFillRule, ALateOrDuplicateCumulativeFigureFillsNothing) {
    KnownOrder k = known(OrderStatus::partially_filled);
    k.filled = Q("5");
    k.filled_notional = M("500");
    const std::string older = update_json("partial_fill",
                                          {{"status", R"("partially_filled")"},
                                           {"filled_qty", R"("3")"},
                                           {"filled_avg_price", R"("100")"}},
                                          R"("execution_id":"e1","price":"100","qty":"3")");
    const Mapped late = updated(older, k);
    EXPECT_EQ(late.count, 0u);
    EXPECT_NE(late.note.find("below"), std::string::npos) << late.note;
    const std::string same = update_json("partial_fill",
                                         {{"status", R"("partially_filled")"},
                                          {"filled_qty", R"("5")"},
                                          {"filled_avg_price", R"("100")"}},
                                         R"("execution_id":"e2","price":"100","qty":"2")");
    const Mapped duplicate = updated(same, k);
    EXPECT_EQ(duplicate.count, 0u);
    EXPECT_NE(duplicate.note.find("late or duplicate"), std::string::npos) << duplicate.note;
}

TEST(AlpacaCodecFillRule, WithoutFilledAvgPriceAMissedFillCannotBePricedAndIsNotFilled) {
    const KnownOrder k = known(OrderStatus::accepted);
    const Mapped m =
        updated(update_json("fill", {{"status", R"("filled")"}, {"filled_qty", R"("10")"}},
                            R"("execution_id":"e1","qty":"4")"),
                k);
    EXPECT_EQ(m.count, 0u);
    EXPECT_NE(m.note.find("no filled_avg_price"), std::string::npos) << m.note;
}

TEST(AlpacaCodecFillRule, TheFeeIsWhatTheOrdersCommissionAddsSinceKeelsLastFill) {
    KnownOrder k = known(OrderStatus::partially_filled);
    k.filled = Q("4");
    k.filled_notional = M("400");
    k.fees = M("0.04");
    const Mapped m = updated(update_json("fill",
                                         {{"status", R"("filled")"},
                                          {"filled_qty", R"("10")"},
                                          {"filled_avg_price", R"("100")"},
                                          {"commission", R"("0.1")"}},
                                         R"("execution_id":"e2","price":"100","qty":"6")"),
                             k);
    ASSERT_EQ(m.count, 1u);
    expect_fill(m.events[0], "6", "100", true, M("0.06"));
    const Mapped none = updated(
        update_json("fill",
                    {{"status", R"("filled")"}, {"filled_qty", R"("10")"}, {"commission", nullptr}},
                    R"("execution_id":"e2","price":"100","qty":"6")"),
        k);
    ASSERT_EQ(none.count, 1u);
    expect_fill(none.events[0], "6", "100", true);
}

// --- trade_updates events ---

TEST(AlpacaCodecUpdate, NewAcksOnlyWhatKeelStillHoldsPending) {
    const KnownOrder pending = known(OrderStatus::pending_new);
    const Mapped m = updated(update_json("new"), pending);
    ASSERT_EQ(m.count, 1u);
    expect_ack(m.events[0], pending);
    const Mapped dup = updated(update_json("new"), known(OrderStatus::accepted));
    EXPECT_EQ(dup.count, 0u);
    EXPECT_FALSE(dup.note.empty());
}

TEST(AlpacaCodecUpdate, CanceledExpiredAndRejectedFillFirstThenClose) {
    const KnownOrder k = known(OrderStatus::pending_cancel, TimeInForce::ioc);
    const Mapped canceled = updated(update_json("canceled", {{"status", R"("canceled")"},
                                                             {"filled_qty", R"("3")"},
                                                             {"filled_avg_price", R"("100")"}}),
                                    k);
    ASSERT_EQ(canceled.count, 2u);
    expect_fill(canceled.events[0], "3", "100", false);
    expect_order_reply(canceled.events[1], EventType::venue_cancel, OrderStatus::canceled,
                       Reason::canceled_on_request, OrderAction::cancel, k);
    const Mapped expired = updated(update_json("expired", {{"status", R"("expired")"}}),
                                   known(OrderStatus::accepted, TimeInForce::ioc));
    ASSERT_EQ(expired.count, 1u);
    EXPECT_EQ(expired.events[0].payload.order.reason, Reason::ioc_remainder);
    const Mapped done =
        updated(update_json("done_for_day", {{"status", R"("done_for_day")"}}), known());
    ASSERT_EQ(done.count, 1u);
    EXPECT_EQ(done.events[0].payload.order.reason, Reason::expired_day);
    const KnownOrder pending = known(OrderStatus::pending_new);
    const Mapped rejected =
        updated(update_json("rejected", {{"status", R"("rejected")"}}), pending);
    ASSERT_EQ(rejected.count, 1u);
    expect_order_reply(rejected.events[0], EventType::venue_reject, OrderStatus::rejected,
                       Reason::venue_rejected, OrderAction::new_order, pending);
}

TEST(AlpacaCodecUpdate, RefusedCancelsAndReplacesAreRejectsOfThatRequest) {
    const KnownOrder k = known(OrderStatus::pending_cancel);
    const Mapped cancel = updated(update_json("order_cancel_rejected"), k);
    ASSERT_EQ(cancel.count, 1u);
    expect_order_reply(cancel.events[0], EventType::venue_reject, OrderStatus::rejected,
                       Reason::venue_rejected, OrderAction::cancel, k);
    const Mapped replace = updated(update_json("order_replace_rejected"), k);
    ASSERT_EQ(replace.count, 1u);
    expect_order_reply(replace.events[0], EventType::venue_reject, OrderStatus::rejected,
                       Reason::venue_rejected, OrderAction::replace, k);
}

TEST(AlpacaCodecUpdate, EventsKeelHasNoReplyForProduceNothingWithANote) {
    for (const char* event : {"pending_new", "pending_cancel", "pending_replace", "accepted",
                              "held", "stopped", "calculated", "suspended"}) {
        const Mapped m = updated(update_json(event), known());
        EXPECT_EQ(m.count, 0u) << event;
        EXPECT_NE(m.note.find("pending states"), std::string::npos) << m.note;
    }
    for (const char* event : {"trade_bust", "trade_correct"}) {
        const Mapped m = updated(update_json(event, {}, R"("execution_id":"e9")"), known());
        EXPECT_EQ(m.count, 0u);
        EXPECT_NE(m.note.find("operator"), std::string::npos) << m.note;
        EXPECT_NE(m.note.find("e9"), std::string::npos) << m.note;
    }
    const Mapped unknown = updated(update_json("restated"), known());
    EXPECT_EQ(unknown.count, 0u);
    EXPECT_NE(unknown.note.find("restated"), std::string::npos) << unknown.note;
    const Mapped replaced =
        updated(update_json("replaced", {{"status", R"("replaced")"}, {"replaced_by", R"("n1")"}}),
                known(OrderStatus::pending_replace));
    EXPECT_EQ(replaced.count, 0u);
    EXPECT_NE(replaced.note.find("PATCH"), std::string::npos) << replaced.note;
}

TEST(AlpacaCodecReplace, ThePatchAnswerAcksTheReplaceWithItsNewTerms) {
    KnownOrder k = known(OrderStatus::pending_replace);
    const Mapped m = map_replace_ack(
        decoded_order(order_json(
            {{"qty", R"("12")"}, {"limit_price", R"("99.5")"}, {"replaces", R"("61e69015")"}})),
        k, kTs);
    ASSERT_EQ(m.count, 1u);
    expect_order_reply(m.events[0], EventType::venue_ack, OrderStatus::accepted, Reason::none,
                       OrderAction::replace, k);
    EXPECT_EQ(m.events[0].payload.order.quantity, Q("12"));
    EXPECT_EQ(m.events[0].payload.order.price, P("99.5"));
    EXPECT_EQ(m.events[0].payload.order.stop_price, Price{});
    // Terms the answer leaves out (null) stay the known order's.
    const Mapped bare = map_replace_ack(
        decoded_order(order_json({{"qty", "null"}, {"limit_price", "null"}})), k, kTs);
    EXPECT_EQ(bare.events[0].payload.order.quantity, Q("10"));
    EXPECT_EQ(bare.events[0].payload.order.price, P("100"));
    // A trailing stop's new trail is its stop_price in keel.
    k.type = OrderType::trailing_stop;
    k.price = Price{};
    k.stop_price = P("0.5");
    const Mapped trail = map_replace_ack(decoded_order(order_json({{"type", R"("trailing_stop")"},
                                                                   {"trail_price", R"("0.75")"},
                                                                   {"limit_price", "null"}})),
                                         k, kTs);
    EXPECT_EQ(trail.events[0].payload.order.stop_price, P("0.75"));
    EXPECT_EQ(trail.events[0].payload.order.price, Price{});
}

TEST(AlpacaCodecReplace, ARefusedRequestIsAVenueRejectOfItsAction) {
    const KnownOrder k = known(OrderStatus::pending_new);
    expect_order_reply(
        reject_event(OrderAction::new_order, k, Reason::insufficient_buying_power, kTs),
        EventType::venue_reject, OrderStatus::rejected, Reason::insufficient_buying_power,
        OrderAction::new_order, k);
    expect_order_reply(reject_event(OrderAction::cancel, k, Reason::invalid_order, kTs),
                       EventType::venue_reject, OrderStatus::rejected, Reason::invalid_order,
                       OrderAction::cancel, k);
}

// --- the replies against SimVenue and the gateway's OrderBook ---

struct Capture final : engine::ReplySink {
    void post(const engine::Event& e) noexcept override { events.push_back(e); }
    std::vector<engine::Event> events;
};

engine::Event sent(const engine::OrderPayload& o, OrderAction action, std::int64_t ts) {
    engine::Event e = engine::make_event(EventType::order_sent, engine::Source::gateway, 1, ts, 2);
    e.header.aux = 3;
    e.payload.order = o;
    e.payload.order.action = action;
    e.payload.order.role = engine::OrderRole::entry;
    return e;
}

bool same_bytes(const engine::Event& a, const engine::Event& b) {
    return std::memcmp(&a, &b, sizeof(engine::Event)) == 0;
}

TEST(AlpacaCodecSimVenue, AcksFillsAndCancelsAreByteForByteWhatSimVenuePosts) {
    adapters::SimVenueConfig config;
    config.mode = adapters::MatchMode::ticks;
    config.participation = engine::Ratio::from_raw(500'000'000);
    Capture sim;
    adapters::SimVenue venue(sim, config, 1);
    const engine::OrderPayload o = order(OrderType::limit, "10", "100");
    venue.submit(sent(o, OrderAction::new_order, kTs));
    engine::Event print = engine::make_event(EventType::trade, engine::Source::feed, 0, kTs, 2);
    print.payload.trade.price = P("99");
    print.payload.trade.size = Q("8");  // half of it: a fill of 4 at the limit, 100
    venue.on_market_data(print);
    venue.submit(sent(o, OrderAction::cancel, kTs));
    ASSERT_EQ(sim.events.size(), 3u);

    KnownOrder k = known(OrderStatus::pending_new);
    const Mapped ack = snapshot({{"status", R"("accepted")"}}, k);
    EXPECT_TRUE(same_bytes(ack.events[0], sim.events[0]));
    k.state = OrderStatus::accepted;
    const Mapped fill = updated(update_json("partial_fill",
                                            {{"status", R"("partially_filled")"},
                                             {"filled_qty", R"("4")"},
                                             {"filled_avg_price", R"("100")"}},
                                            R"("execution_id":"e1","price":"100","qty":"4")"),
                                k);
    EXPECT_TRUE(same_bytes(fill.events[0], sim.events[1]));
    k.state = OrderStatus::pending_cancel;
    k.filled = Q("4");
    k.filled_notional = M("400");
    const Mapped cancel = updated(update_json("canceled", {{"status", R"("canceled")"},
                                                           {"filled_qty", R"("4")"},
                                                           {"filled_avg_price", R"("100")"}}),
                                  k);
    ASSERT_EQ(cancel.count, 1u);
    EXPECT_TRUE(same_bytes(cancel.events[0], sim.events[2]));
}

TEST(AlpacaCodecOrderBook, MappedRepliesDriveTheOrderBookThroughAWholeOrderLife) {
    engine::OrderBook book(8);
    const engine::OrderPayload o = order(OrderType::limit, "10", "100");
    ASSERT_EQ(book.apply(sent(o, OrderAction::new_order, kTs)).result,
              engine::ApplyResult::applied);
    KnownOrder k = known(OrderStatus::pending_new);
    // Applies every mapped reply, keeping keel's view as the adapter would from the journal.
    const auto apply = [&](const Mapped& m) {
        EXPECT_GE(m.count, 1u) << m.note;
        engine::Transition t{};
        for (std::size_t i = 0; i < m.count; ++i) {
            t = book.apply(m.events[i]);
            EXPECT_EQ(t.result, engine::ApplyResult::applied) << i;
            k.state = t.to;
            k.filled = t.order.filled;
            if (m.events[i].header.type == EventType::venue_fill) {
                Money n{};
                EXPECT_TRUE(engine::notional(m.events[i].payload.fill.price,
                                             m.events[i].payload.fill.quantity, n));
                k.filled_notional += n;
            }
        }
        return t;
    };
    // The POST answer shows 2 already filled: ack and catch-up fill.
    EXPECT_EQ(apply(snapshot({{"status", R"("partially_filled")"},
                              {"filled_qty", R"("2")"},
                              {"filled_avg_price", R"("100")"}},
                             k))
                  .to,
              OrderStatus::partially_filled);
    // The stream's new and the same fill again: nothing.
    EXPECT_EQ(updated(update_json("new"), k).count, 0u);
    EXPECT_EQ(updated(update_json("partial_fill",
                                  {{"status", R"("partially_filled")"}, {"filled_qty", R"("2")"}},
                                  R"("execution_id":"e1","price":"100","qty":"2")"),
                      k)
                  .count,
              0u);
    engine::OrderPayload replace = o;
    replace.quantity = Q("12");
    ASSERT_EQ(book.apply(sent(replace, OrderAction::replace, kTs)).to,
              OrderStatus::pending_replace);
    const engine::Transition replaced =
        apply(map_replace_ack(decoded_order(order_json({{"qty", R"("12")"}})), k, kTs));
    EXPECT_EQ(replaced.reported(), OrderStatus::replaced);
    EXPECT_EQ(replaced.order.quantity, Q("12"));
    k.quantity = Q("12");
    const engine::Transition last =
        apply(updated(update_json("fill",
                                  {{"status", R"("filled")"},
                                   {"qty", R"("12")"},
                                   {"filled_qty", R"("12")"},
                                   {"filled_avg_price", R"("100.5")"}},
                                  R"("execution_id":"e2","price":"100.6","qty":"10")"),
                      k));
    EXPECT_EQ(last.to, OrderStatus::filled);
    EXPECT_EQ(last.order.filled, Q("12"));
    EXPECT_EQ(book.open_count(), 0u);
}

TEST(AlpacaCodecOrderBook, AnAckFillAndCancelSnapshotIsLegalInThatOrder) {
    engine::OrderBook book(8);
    book.apply(sent(order(OrderType::limit, "10", "100"), OrderAction::new_order, kTs));
    const Mapped m = snapshot(
        {{"status", R"("canceled")"}, {"filled_qty", R"("3")"}, {"filled_avg_price", R"("100")"}},
        known(OrderStatus::pending_new));
    ASSERT_EQ(m.count, 3u);
    const OrderStatus expected[] = {OrderStatus::accepted, OrderStatus::partially_filled,
                                    OrderStatus::canceled};
    for (std::size_t i = 0; i < 3; ++i) {
        const engine::Transition t = book.apply(m.events[i]);
        EXPECT_EQ(t.result, engine::ApplyResult::applied) << i;
        EXPECT_EQ(t.to, expected[i]) << i;
    }
}

}  // namespace
}  // namespace keel
