// The local Alpaca-compatible server (keel alpaca-venue) on its own thread, over real loopback
// TLS, driven by a plain synchronous Beast HTTPS client and a Beast WebSocket client written
// here (both trusting tests/data/tls/localhost.crt): authentication, Alpaca's order routes and
// error bodies, the trade_updates stream with exact cumulative fill figures, positions and the
// account, and the faults. Every wait is on an answer or a stream message, never a sleep.
#include "keel/adapters/alpaca/alpaca_test_server.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using keel::adapters::alpaca::AlpacaServerOptions;
using keel::adapters::alpaca::AlpacaTestServer;

constexpr const char* kKeyId = "PKTESTKEY0123";
constexpr const char* kSecret = "test-secret-0123456789";
const std::string kTlsDir = std::string(KEEL_SOURCE_DIR) + "/tests/data/tls/";

// A JSON value by path (object keys, or array indexes as numbers): a string's contents,
// "null", "<absent>", or any other value minified.
// The wall clock in Unix seconds, as X-Ratelimit-Reset counts.
std::int64_t unix_now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string at(const std::string& json, std::initializer_list<std::string> path) {
    simdjson::dom::parser parser;
    simdjson::dom::element e;
    if (parser.parse(json).get(e) != simdjson::SUCCESS)
        return "<not json>";
    for (const std::string& key : path) {
        const bool index = !key.empty() && key.find_first_not_of("0123456789") == std::string::npos;
        const auto next = index && e.is_array() ? e.at(std::stoul(key)) : e[key];
        if (next.get(e) != simdjson::SUCCESS)
            return "<absent>";
    }
    if (e.is_null())
        return "null";
    if (e.is_string())
        return std::string(e.get_string().value());
    return simdjson::minify(e);
}

std::size_t array_size(const std::string& json) {
    simdjson::dom::parser parser;
    simdjson::dom::array a;
    return parser.parse(json).get_array().get(a) == simdjson::SUCCESS ? a.size() : 99999;
}

// A bound on every blocking read, so a server that never answers fails the test instead of
// hanging it (never reached when the server behaves; not a timing assertion).
void bound_reads(tcp::socket& socket) {
    timeval tv{30, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

// The TLS client side both clients share: trusts only the test certificate, checks the name.
template <class Tls>
void connect_tls(Tls& tls, int port) {
    tls.set_verify_mode(asio::ssl::verify_peer);
    tls.set_verify_callback(asio::ssl::host_name_verification("localhost"));
    ASSERT_TRUE(SSL_set_tlsext_host_name(tls.native_handle(), "localhost"));
    auto& socket = beast::get_lowest_layer(tls).socket();
    socket.connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
    bound_reads(socket);
    tls.handshake(asio::ssl::stream_base::client);
}

asio::ssl::context client_context() {
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.load_verify_file(kTlsDir + "localhost.crt");
    return ctx;
}

struct Answer {
    unsigned status = 0;
    std::string body;
    http::fields headers;
};

// HTTPS/1.1 over one keep-alive connection, as Alpaca's SDKs talk to it.
class RestClient {
  public:
    explicit RestClient(int port, std::string key = kKeyId, std::string secret = kSecret)
        : ctx_(client_context()),
          tls_(io_, ctx_),
          key_(std::move(key)),
          secret_(std::move(secret)) {
        connect_tls(tls_, port);
    }

    void write(http::verb verb, const std::string& target, const std::string& body = "") {
        http::request<http::string_body> req{verb, target, 11};
        req.set(http::field::host, "localhost");
        if (!key_.empty()) {
            req.set("APCA-API-KEY-ID", key_);
            req.set("APCA-API-SECRET-KEY", secret_);
        }
        if (!body.empty()) {
            req.set(http::field::content_type, "application/json");
            req.body() = body;
        }
        req.keep_alive(true);
        req.prepare_payload();
        http::write(tls_, req);
    }

    Answer read() {
        http::response<http::string_body> res;
        http::read(tls_, buffer_, res);
        return {res.result_int(), res.body(), res.base()};
    }

    Answer send(http::verb verb, const std::string& target, const std::string& body = "") {
        write(verb, target, body);
        return read();
    }
    Answer get(const std::string& target) { return send(http::verb::get, target); }
    Answer post(const std::string& body) { return send(http::verb::post, "/v2/orders", body); }

    // Whether answer bytes can be read now, without waiting. Reading (not the socket's byte
    // count) because TLS 1.3 servers send session tickets after the handshake, which are not
    // an answer.
    bool answer_waiting() {
        auto& socket = beast::get_lowest_layer(tls_).socket();
        socket.non_blocking(true);
        char byte = 0;
        boost::system::error_code ec;
        const std::size_t n = tls_.read_some(asio::buffer(&byte, 1), ec);
        socket.non_blocking(false);
        return n > 0 || buffer_.size() > 0;
    }

  private:
    asio::io_context io_;
    asio::ssl::context ctx_;
    beast::ssl_stream<beast::tcp_stream> tls_;
    beast::flat_buffer buffer_;
    std::string key_, secret_;
};

class StreamClient {
  public:
    explicit StreamClient(int port) : ctx_(client_context()), ws_(io_, ctx_) {
        connect_tls(ws_.next_layer(), port);
        ws_.handshake("localhost", "/stream");
    }
    void send(const std::string& text) {
        ws_.text(true);
        ws_.write(asio::buffer(text));
    }
    // The next message; binary: whether it came in a binary frame. Empty once closed.
    std::string read(bool* binary = nullptr) {
        beast::flat_buffer b;
        boost::system::error_code ec;
        ws_.read(b, ec);
        if (ec)
            return "";
        if (binary != nullptr)
            *binary = ws_.got_binary();
        return beast::buffers_to_string(b.data());
    }
    // Authenticates (the SDK's shape, or the short one) and listens to trade_updates.
    void listen(bool sdk_shape = true) {
        send(sdk_shape ? std::string(R"({"action":"authenticate","data":{"key_id":")") + kKeyId +
                             R"(","secret_key":")" + kSecret + R"("}})"
                       : std::string(R"({"action":"auth","key":")") + kKeyId + R"(","secret":")" +
                             kSecret + R"("})");
        ASSERT_EQ(at(read(), {"data", "status"}), "authorized");
        send(R"({"action":"listen","data":{"streams":["trade_updates"]}})");
        ASSERT_EQ(at(read(), {"data", "streams"}), R"(["trade_updates"])");
    }

  private:
    asio::io_context io_;
    asio::ssl::context ctx_;
    websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws_;
};

std::string order_json(const std::string& fields) {
    return "{" + fields + "}";
}

std::string limit_buy(const std::string& coid, const std::string& qty, const std::string& px) {
    return order_json(R"("symbol":"AAPL","qty":")" + qty +
                      R"(","side":"buy","type":"limit","time_in_force":"gtc","limit_price":")" +
                      px + R"(","client_order_id":")" + coid + "\"");
}

class AlpacaTestServerTest : public ::testing::Test {
  protected:
    static AlpacaServerOptions options() {
        AlpacaServerOptions o;
        o.cert_file = kTlsDir + "localhost.crt";
        o.key_file = kTlsDir + "localhost.key";
        o.key_id = kKeyId;
        o.secret_key = kSecret;
        o.matching.mode = keel::adapters::MatchMode::ticks;
        // Fills take a trade's whole size and no more, so each test trade is one execution.
        o.matching.participation = keel::engine::Ratio::from_units(1);
        o.matching.buying_power = keel::engine::Money::from_units(1'000'000);
        return o;
    }

    void start(const AlpacaServerOptions& o = options()) {
        keel::engine::SymbolTable symbols(4);
        (void)symbols.intern("AAPL");
        (void)symbols.intern("MSFT");
        server_ = std::make_unique<AlpacaTestServer>(o, std::move(symbols));
        ASSERT_EQ(server_->open(), std::nullopt);
        thread_ = std::thread([this] { server_->run(); });
    }
    // Stops the server; its account and counters may be read after.
    void stop() {
        if (server_)
            server_->stop();
        if (thread_.joinable())
            thread_.join();
    }
    void TearDown() override { stop(); }

    int port() const { return server_->port(); }
    std::string account() {
        stop();
        return server_->account_json();
    }

    void trade(const char* price, const char* size) {
        keel::engine::Event e = keel::engine::make_event(keel::engine::EventType::trade,
                                                         keel::engine::Source::feed, 0, 0, 0);
        ASSERT_EQ(keel::engine::parse_decimal(price, e.payload.trade.price.raw),
                  keel::engine::DecimalError::ok);
        ASSERT_EQ(keel::engine::parse_decimal(size, e.payload.trade.size.raw),
                  keel::engine::DecimalError::ok);
        server_->post_market_data(e);
    }

    // A market buy of 3 AAPL filled by two trades, 1 at 100.1 then 2 at 100.2; returns the
    // three events (new, partial_fill, fill).
    std::vector<std::string> buy_three(RestClient& rest, StreamClient& stream) {
        const Answer placed = rest.post(order_json(
            R"("symbol":"AAPL","qty":3,"side":"buy","type":"market","time_in_force":"day","client_order_id":"b-1")"));
        EXPECT_EQ(placed.status, 200u) << placed.body;
        trade("100.1", "1");
        trade("100.2", "2");
        return {stream.read(), stream.read(), stream.read()};
    }

    std::unique_ptr<AlpacaTestServer> server_;
    std::thread thread_;
};

TEST_F(AlpacaTestServerTest, RefusesAWrongOrMissingKeyWith401) {
    start();
    RestClient none(port(), "", "");
    const Answer missing = none.get("/v2/account");
    EXPECT_EQ(missing.status, 401u);
    EXPECT_EQ(missing.body, R"({"code":40110000,"message":"request is not authorized"})");
    RestClient wrong(port(), kKeyId, "not-the-secret");
    EXPECT_EQ(wrong.get("/v2/account").status, 401u);
    RestClient good(port());
    const Answer ok = good.get("/v2/account");
    EXPECT_EQ(ok.status, 200u);
    EXPECT_EQ(at(ok.body, {"cash"}), "1000000");
    EXPECT_EQ(at(ok.body, {"status"}), "ACTIVE");
    EXPECT_EQ(at(ok.body, {"pattern_day_trader"}), "<absent>");  // retired by Alpaca in 2026
    EXPECT_EQ(ok.headers["X-Ratelimit-Limit"], "200");
    EXPECT_EQ(ok.headers["X-Ratelimit-Remaining"], "199");  // 401s are not counted
    EXPECT_EQ(good.get("/v2/nothing-here").status, 404u);
    EXPECT_EQ(at(account(), {"unauthorized"}), "2");
}

TEST_F(AlpacaTestServerTest, StreamRefusesAWrongKeyAndTakesBothAuthShapes) {
    start();
    StreamClient refused(port());
    refused.send(R"({"action":"auth","key":"PKTESTKEY0123","secret":"wrong"})");
    const std::string answer = refused.read();
    EXPECT_EQ(at(answer, {"stream"}), "authorization");
    EXPECT_EQ(at(answer, {"data", "status"}), "unauthorized");
    EXPECT_EQ(refused.read(), "");  // then closed
    StreamClient sdk(port());
    sdk.listen(true);
    StreamClient plain(port());
    plain.listen(false);
    EXPECT_EQ(at(account(), {"stream_refused"}), "1");
}

TEST_F(AlpacaTestServerTest, AnOrderGivesNewThenFillsWithExactCumulativeFigures) {
    start();
    StreamClient stream(port());
    stream.listen();
    RestClient rest(port());
    const std::vector<std::string> events = buy_three(rest, stream);
    EXPECT_EQ(at(events[0], {"data", "event"}), "new");
    EXPECT_EQ(at(events[0], {"data", "order", "client_order_id"}), "b-1");
    EXPECT_EQ(at(events[0], {"data", "order", "filled_avg_price"}), "null");
    EXPECT_EQ(at(events[0], {"data", "execution_id"}), "<absent>");
    const std::string& part = events[1];
    EXPECT_EQ(at(part, {"data", "event"}), "partial_fill");
    EXPECT_EQ(at(part, {"data", "price"}), "100.1");
    EXPECT_EQ(at(part, {"data", "qty"}), "1");
    EXPECT_EQ(at(part, {"data", "position_qty"}), "1");
    EXPECT_EQ(at(part, {"data", "order", "filled_qty"}), "1");
    EXPECT_EQ(at(part, {"data", "order", "status"}), "partially_filled");
    const std::string& fill = events[2];
    EXPECT_EQ(at(fill, {"data", "event"}), "fill");
    EXPECT_EQ(at(fill, {"data", "price"}), "100.2");
    EXPECT_EQ(at(fill, {"data", "qty"}), "2");
    EXPECT_EQ(at(fill, {"data", "position_qty"}), "3");
    EXPECT_EQ(at(fill, {"data", "order", "filled_qty"}), "3");
    EXPECT_EQ(at(fill, {"data", "order", "status"}), "filled");
    // (100.1 x 1 + 100.2 x 2) / 3 = 100.1666..., rounded half up at the 9th decimal.
    EXPECT_EQ(at(fill, {"data", "order", "filled_avg_price"}), "100.166666667");
    EXPECT_NE(at(part, {"data", "execution_id"}), at(fill, {"data", "execution_id"}));
    const Answer got = rest.get("/v2/orders/" + at(fill, {"data", "order", "id"}));
    EXPECT_EQ(at(got.body, {"filled_avg_price"}), "100.166666667");
    EXPECT_NE(at(got.body, {"filled_at"}), "null");
}

TEST_F(AlpacaTestServerTest, TradeUpdatesComeInBinaryFramesUnlessTextFramesIsSet) {
    for (const bool text : {false, true}) {
        AlpacaServerOptions o = options();
        o.text_frames = text;
        start(o);
        StreamClient stream(port());
        stream.listen();
        RestClient rest(port());
        ASSERT_EQ(rest.post(limit_buy("f-1", "1", "50")).status, 200u);
        bool binary = !text;
        const std::string event = stream.read(&binary);
        EXPECT_EQ(at(event, {"data", "event"}), "new");
        EXPECT_EQ(binary, !text);
        stop();
    }
}

TEST_F(AlpacaTestServerTest, AClientOrderIdIsRefusedForEverEvenAfterItsOrderIsCanceled) {
    start();
    StreamClient stream(port());
    stream.listen();
    RestClient rest(port());
    const Answer placed = rest.post(limit_buy("k-1", "1", "50"));
    ASSERT_EQ(placed.status, 200u);
    const std::string id = at(placed.body, {"id"});
    EXPECT_EQ(at(stream.read(), {"data", "event"}), "new");
    EXPECT_EQ(rest.send(http::verb::delete_, "/v2/orders/" + id).status, 204u);
    EXPECT_EQ(at(stream.read(), {"data", "event"}), "pending_cancel");
    const std::string canceled = stream.read();
    EXPECT_EQ(at(canceled, {"data", "event"}), "canceled");
    EXPECT_NE(at(canceled, {"data", "order", "canceled_at"}), "null");
    const Answer reused = rest.post(limit_buy("k-1", "1", "50"));
    EXPECT_EQ(reused.status, 422u);
    EXPECT_EQ(reused.body, R"({"code":40010001,"message":"client_order_id must be unique"})");
    const Answer again = rest.send(http::verb::delete_, "/v2/orders/" + id);
    EXPECT_EQ(again.status, 422u);
    EXPECT_EQ(at(again.body, {"message"}), "order is not cancelable");
    EXPECT_EQ(rest.send(http::verb::delete_, "/v2/orders/no-such-id").status, 404u);
    const Answer all = rest.get("/v2/orders?status=all&limit=500&direction=asc");
    EXPECT_EQ(array_size(all.body), 1u) << all.body;
    EXPECT_EQ(at(all.body, {"0", "status"}), "canceled");
    const std::string acct = account();
    EXPECT_EQ(at(acct, {"orders_placed"}), "1");
    EXPECT_EQ(at(acct, {"reused_client_order_ids"}), "1");
    EXPECT_EQ(at(acct, {"max_orders_per_client_id"}), "1");
    EXPECT_EQ(at(acct, {"unknown_orders"}), "1");
}

TEST_F(AlpacaTestServerTest, ByClientOrderIdAnswers404UntilTheOrderExists) {
    start();
    RestClient rest(port());
    const Answer unknown = rest.get("/v2/orders:by_client_order_id?client_order_id=c-7");
    EXPECT_EQ(unknown.status, 404u);
    EXPECT_EQ(unknown.body, R"({"code":40410000,"message":"order not found"})");
    const Answer placed = rest.post(limit_buy("c-7", "2", "50"));
    ASSERT_EQ(placed.status, 200u);
    const Answer found = rest.get("/v2/orders:by_client_order_id?client_order_id=c-7");
    EXPECT_EQ(found.status, 200u);
    EXPECT_EQ(at(found.body, {"id"}), at(placed.body, {"id"}));
    EXPECT_EQ(at(found.body, {"qty"}), "2");
    EXPECT_EQ(at(found.body, {"status"}), "new");
}

TEST_F(AlpacaTestServerTest, AReplaceMakesANewOrderAndTheOldShowsReplacedBy) {
    start();
    StreamClient stream(port());
    stream.listen();
    RestClient rest(port());
    const Answer placed = rest.post(limit_buy("r-1", "2", "50"));
    ASSERT_EQ(placed.status, 200u);
    const std::string old_id = at(placed.body, {"id"});
    EXPECT_EQ(at(stream.read(), {"data", "event"}), "new");
    const Answer replaced = rest.send(http::verb::patch, "/v2/orders/" + old_id,
                                      R"({"qty":"3","limit_price":"51","client_order_id":"r-2"})");
    ASSERT_EQ(replaced.status, 200u) << replaced.body;
    const std::string new_id = at(replaced.body, {"id"});
    EXPECT_NE(new_id, old_id);
    EXPECT_EQ(at(replaced.body, {"replaces"}), old_id);
    EXPECT_EQ(at(replaced.body, {"client_order_id"}), "r-2");
    EXPECT_EQ(at(replaced.body, {"qty"}), "3");
    EXPECT_EQ(at(replaced.body, {"limit_price"}), "51");
    EXPECT_EQ(at(stream.read(), {"data", "event"}), "pending_replace");
    const std::string old_event = stream.read();
    EXPECT_EQ(at(old_event, {"data", "event"}), "replaced");
    EXPECT_EQ(at(old_event, {"data", "order", "replaced_by"}), new_id);
    const std::string new_event = stream.read();
    EXPECT_EQ(at(new_event, {"data", "event"}), "new");
    EXPECT_EQ(at(new_event, {"data", "order", "id"}), new_id);
    const Answer old_order = rest.get("/v2/orders:by_client_order_id?client_order_id=r-1");
    EXPECT_EQ(at(old_order.body, {"status"}), "replaced");
    EXPECT_EQ(at(old_order.body, {"replaced_by"}), new_id);
    EXPECT_EQ(rest.send(http::verb::patch, "/v2/orders/" + old_id, R"({"qty":"4"})").status, 422u);
    const Answer open = rest.get("/v2/orders?status=open");
    EXPECT_EQ(array_size(open.body), 1u);
    EXPECT_EQ(at(open.body, {"0", "id"}), new_id);
}

TEST_F(AlpacaTestServerTest, InsufficientBuyingPowerIs403WithTheFigures) {
    AlpacaServerOptions o = options();
    o.matching.buying_power = keel::engine::Money::from_units(1000);
    o.faults.reject_every = 3;
    start(o);
    RestClient rest(port());
    const Answer refused = rest.post(limit_buy("p-1", "100", "50"));
    EXPECT_EQ(refused.status, 403u);
    EXPECT_EQ(refused.body, R"({"code":40310000,"message":"insufficient buying power",)"
                            R"("buying_power":"1000","cost_basis":"5000"})");
    EXPECT_EQ(rest.get("/v2/orders:by_client_order_id?client_order_id=p-1").status, 404u);
    EXPECT_EQ(rest.post(limit_buy("p-2", "1", "50")).status, 200u);
    const Answer injected = rest.post(limit_buy("p-3", "1", "50"));  // the third: the fault
    EXPECT_EQ(injected.status, 403u);
    EXPECT_EQ(at(injected.body, {"code"}), "40310000");
    const std::string acct = account();
    EXPECT_EQ(at(acct, {"refused_buying_power"}), "2");
    EXPECT_EQ(at(acct, {"rejects_injected"}), "1");
    EXPECT_EQ(at(acct, {"orders_placed"}), "1");
}

TEST_F(AlpacaTestServerTest, PositionsAndAccountFollowTheFills) {
    start();
    StreamClient stream(port());
    stream.listen();
    RestClient rest(port());
    ASSERT_EQ(at(buy_three(rest, stream)[2], {"data", "event"}), "fill");
    const Answer positions = rest.get("/v2/positions");
    ASSERT_EQ(array_size(positions.body), 1u) << positions.body;
    EXPECT_EQ(at(positions.body, {"0", "symbol"}), "AAPL");
    EXPECT_EQ(at(positions.body, {"0", "qty"}), "3");
    EXPECT_EQ(at(positions.body, {"0", "side"}), "long");
    EXPECT_EQ(at(positions.body, {"0", "avg_entry_price"}), "100.166666667");
    EXPECT_EQ(at(positions.body, {"0", "cost_basis"}), "300.5");
    EXPECT_EQ(at(positions.body, {"0", "current_price"}), "100.2");
    EXPECT_EQ(at(positions.body, {"0", "market_value"}), "300.6");
    EXPECT_EQ(at(positions.body, {"0", "unrealized_pl"}), "0.1");
    const Answer acct = rest.get("/v2/account");
    EXPECT_EQ(at(acct.body, {"cash"}), "999699.5");
    EXPECT_EQ(at(acct.body, {"equity"}), "1000000.1");
    EXPECT_EQ(at(acct.body, {"long_market_value"}), "300.6");
    const std::string file = account();
    EXPECT_EQ(at(file, {"positions", "AAPL"}), "3");
    EXPECT_EQ(at(file, {"fills", "1", "price"}), "100.2");
    EXPECT_EQ(at(file, {"executions"}), "2");
}

TEST_F(AlpacaTestServerTest, RateLimitFaultAnswers429WithTheHeaders) {
    const std::int64_t before_s = unix_now_s();
    AlpacaServerOptions o = options();
    ASSERT_EQ(keel::adapters::alpaca::parse_fault("rate_limit=2", o.faults), std::nullopt);
    start(o);
    RestClient rest(port());
    EXPECT_EQ(rest.get("/v2/account").headers["X-Ratelimit-Remaining"], "1");
    EXPECT_EQ(rest.get("/v2/positions").headers["X-Ratelimit-Remaining"], "0");
    const Answer limited = rest.get("/v2/account");
    EXPECT_EQ(limited.status, 429u);
    EXPECT_EQ(limited.body, R"({"code":42910000,"message":"rate limit exceeded"})");
    EXPECT_EQ(limited.headers["X-Ratelimit-Limit"], "2");
    EXPECT_EQ(limited.headers["X-Ratelimit-Remaining"], "0");
    // The window is a minute from its first request, so it resets a minute after this test began
    // at the earliest.
    EXPECT_GE(std::stoll(std::string(limited.headers["X-Ratelimit-Reset"])), before_s + 60);
    EXPECT_EQ(at(account(), {"rate_limited"}), "1");
}

TEST_F(AlpacaTestServerTest, RateWindowFaultSetsTheWindowItsResetHeaderNames) {
    const std::int64_t before_s = unix_now_s();
    AlpacaServerOptions o = options();
    ASSERT_EQ(keel::adapters::alpaca::parse_fault("rate_window_s=5", o.faults), std::nullopt);
    start(o);
    RestClient rest(port());
    const Answer first = rest.get("/v2/account");
    const std::int64_t after_s = unix_now_s();
    const std::int64_t reset = std::stoll(std::string(first.headers["X-Ratelimit-Reset"]));
    EXPECT_GE(reset, before_s + 5);
    EXPECT_LE(reset, after_s + 5);
}

TEST_F(AlpacaTestServerTest, AcceptThenHangPlacesTheOrderWithoutAnswering) {
    AlpacaServerOptions o = options();
    o.faults.accept_then_hang_every = 1;
    start(o);
    StreamClient stream(port());
    stream.listen();
    RestClient hung(port());
    hung.write(http::verb::post, "/v2/orders", limit_buy("h-1", "1", "50"));
    // The stream's "new" says the server has processed the POST.
    EXPECT_EQ(at(stream.read(), {"data", "order", "client_order_id"}), "h-1");
    RestClient other(port());
    const Answer found = other.get("/v2/orders:by_client_order_id?client_order_id=h-1");
    EXPECT_EQ(found.status, 200u);
    EXPECT_EQ(at(found.body, {"status"}), "new");
    // Had it answered, the answer's bytes would have been written before it even read the
    // lookup (one thread, in order).
    EXPECT_FALSE(hung.answer_waiting());
    const std::string acct = account();
    EXPECT_EQ(at(acct, {"hung"}), "1");
    EXPECT_EQ(at(acct, {"orders_placed"}), "1");
}

TEST_F(AlpacaTestServerTest, StreamDropAfterClosesTheStreamAndNothingIsReplayed) {
    AlpacaServerOptions o = options();
    o.faults.stream_drop_after = 2;
    start(o);
    RestClient rest(port());
    {
        StreamClient first(port());
        first.listen();
        const Answer placed = rest.post(limit_buy("d-1", "1", "50"));
        ASSERT_EQ(placed.status, 200u);
        ASSERT_EQ(rest.send(http::verb::delete_, "/v2/orders/" + at(placed.body, {"id"})).status,
                  204u);
        EXPECT_EQ(at(first.read(), {"data", "event"}), "new");
        EXPECT_EQ(at(first.read(), {"data", "event"}), "pending_cancel");
        EXPECT_EQ(first.read(), "");  // closed after its second event: "canceled" never came
    }
    ASSERT_EQ(rest.post(limit_buy("d-2", "1", "50")).status, 200u);  // nobody listening
    StreamClient second(port());
    second.listen();
    ASSERT_EQ(rest.post(limit_buy("d-3", "1", "50")).status, 200u);
    EXPECT_EQ(at(second.read(), {"data", "order", "client_order_id"}), "d-3");
    const std::string acct = account();
    EXPECT_EQ(at(acct, {"stream_drops"}), "1");
    EXPECT_EQ(at(acct, {"events_unheard"}), "2");  // d-1's canceled, d-2's new
}

TEST_F(AlpacaTestServerTest, ForeignOrderFaultListsAnOpenOrderTheClientNeverSent) {
    AlpacaServerOptions o = options();
    o.faults.foreign_order = 2;
    start(o);
    RestClient rest(port());
    const Answer open = rest.get("/v2/orders?status=open");
    ASSERT_EQ(array_size(open.body), 1u) << open.body;
    EXPECT_EQ(at(open.body, {"0", "client_order_id"}), "foreign-1");
    EXPECT_EQ(at(open.body, {"0", "qty"}), "3");
    EXPECT_EQ(at(open.body, {"0", "filled_qty"}), "1");
    EXPECT_EQ(at(open.body, {"0", "filled_avg_price"}), "101");
    EXPECT_EQ(at(open.body, {"0", "status"}), "partially_filled");
    EXPECT_EQ(at(open.body, {"0", "limit_price"}), "101");
    EXPECT_EQ(at(account(), {"orders_placed"}), "0");
}

TEST_F(AlpacaTestServerTest, PartialFillsFaultSplitsAFillIntoExecutions) {
    AlpacaServerOptions o = options();
    o.faults.partial_fills = 3;
    start(o);
    StreamClient stream(port());
    stream.listen();
    RestClient rest(port());
    ASSERT_EQ(rest.post(limit_buy("s-1", "3", "101")).status, 200u);
    EXPECT_EQ(at(stream.read(), {"data", "event"}), "new");
    trade("100", "5");  // a trade below the limit: the whole 3 at the limit, as 3 executions
    std::vector<std::string> ids;
    for (const char* cumulative : {"1", "2", "3"}) {
        const std::string e = stream.read();
        EXPECT_EQ(at(e, {"data", "qty"}), "1");
        EXPECT_EQ(at(e, {"data", "price"}), "101");
        EXPECT_EQ(at(e, {"data", "order", "filled_qty"}), cumulative);
        ids.push_back(at(e, {"data", "execution_id"}));
    }
    EXPECT_NE(ids[0], ids[1]);
    EXPECT_NE(ids[1], ids[2]);
    EXPECT_EQ(at(account(), {"executions"}), "3");
}

TEST_F(AlpacaTestServerTest, ErrorAndExpiredKeyFaultsAnswerBeforeProcessing) {
    AlpacaServerOptions o = options();
    o.faults.error_every = 2;
    o.faults.error_code = 504;
    o.faults.expire_key_after = 3;
    start(o);
    RestClient rest(port());
    EXPECT_EQ(rest.get("/v2/account").status, 200u);
    const Answer error = rest.post(limit_buy("e-1", "1", "50"));
    EXPECT_EQ(error.status, 504u);
    EXPECT_EQ(rest.get("/v2/orders:by_client_order_id?client_order_id=e-1").status, 404u);
    EXPECT_EQ(rest.get("/v2/account").status, 401u);  // the fourth request: the key expired
    StreamClient stream(port());
    stream.send(std::string(R"({"action":"auth","key":")") + kKeyId + R"(","secret":")" + kSecret +
                R"("})");
    EXPECT_EQ(at(stream.read(), {"data", "status"}), "unauthorized");
    const std::string acct = account();
    EXPECT_EQ(at(acct, {"errors_injected"}), "1");
    EXPECT_EQ(at(acct, {"expired_key_refusals"}), "2");  // the fourth request and the stream
    EXPECT_EQ(at(acct, {"orders_placed"}), "0");
}

TEST_F(AlpacaTestServerTest, ValidatesNewOrdersAsAlpacaDoes) {
    start();
    RestClient rest(port());
    auto message = [&](const std::string& body) {
        const Answer a = rest.post(body);
        return std::to_string(a.status) + " " + at(a.body, {"message"});
    };
    EXPECT_EQ(message("{"), "400 request body format is invalid");
    EXPECT_EQ(
        message(order_json(
            R"("symbol":"ZZZ","qty":"1","side":"buy","type":"market","time_in_force":"day")")),
        R"(422 asset "ZZZ" not found)");
    EXPECT_EQ(
        message(order_json(
            R"("symbol":"AAPL","qty":"-1","side":"buy","type":"market","time_in_force":"day")")),
        "422 qty must be a positive number");
    EXPECT_EQ(
        message(order_json(
            R"("symbol":"AAPL","qty":"1","side":"buy","type":"limit","time_in_force":"day")")),
        "422 limit_price is required");
    EXPECT_EQ(message(order_json(
                  R"("symbol":"AAPL","qty":"1","side":"buy","type":"stop","time_in_force":"day")")),
              "422 stop_price is required");
    EXPECT_EQ(
        message(order_json(
            R"("symbol":"AAPL","qty":"1","side":"buy","type":"trailing_stop","time_in_force":"day")")),
        "422 trail_price is required");
    // A number for qty, and no client_order_id: the server makes one.
    const Answer made = rest.post(order_json(
        R"("symbol":"MSFT","qty":2.5,"side":"sell","type":"limit","time_in_force":"day","limit_price":400.25)"));
    EXPECT_EQ(made.status, 200u) << made.body;
    EXPECT_EQ(at(made.body, {"qty"}), "2.5");
    EXPECT_EQ(at(made.body, {"limit_price"}), "400.25");
    EXPECT_EQ(at(made.body, {"client_order_id"}).size(), 36u);
}

TEST_F(AlpacaTestServerTest, DuplicateAndReorderFaultsChangeWhatTheStreamCarries) {
    AlpacaServerOptions o = options();
    o.faults.reorder_every = 2;
    o.faults.duplicate_every = 3;  // counted over the events as they go out, after reordering
    start(o);
    StreamClient stream(port());
    stream.listen();
    RestClient rest(port());
    for (const char* id : {"o-1", "o-2", "o-3"})
        ASSERT_EQ(rest.post(limit_buy(id, "1", "50")).status, 200u);
    // Made: o-1, o-2 (the second: held), o-3. Out: o-1, o-3, then o-2, the third out: twice.
    std::vector<std::string> order;
    for (int i = 0; i < 4; ++i)
        order.push_back(at(stream.read(), {"data", "order", "client_order_id"}));
    EXPECT_EQ(order, (std::vector<std::string>{"o-1", "o-3", "o-2", "o-2"}));
    const std::string acct = account();
    EXPECT_EQ(at(acct, {"reordered"}), "1");
    EXPECT_EQ(at(acct, {"duplicates_sent"}), "1");
    EXPECT_EQ(at(acct, {"events_sent"}), "4");
}

TEST_F(AlpacaTestServerTest, DelayFaultHoldsBackButStillDeliversEveryAnswerAndEvent) {
    AlpacaServerOptions o = options();
    o.faults.delay_ms = 5;
    start(o);
    StreamClient stream(port());
    stream.listen();
    RestClient rest(port());
    ASSERT_EQ(rest.post(limit_buy("w-1", "1", "50")).status, 200u);
    EXPECT_EQ(at(stream.read(), {"data", "order", "client_order_id"}), "w-1");
    EXPECT_EQ(rest.get("/v2/orders?status=open").status, 200u);
    EXPECT_EQ(at(account(), {"delayed"}), "3");  // two answers, one event
}

TEST(AlpacaTestServerFaults, ParseFaultRefusesUnknownNamesAndOutOfRangeValuesNamingThem) {
    keel::adapters::alpaca::AlpacaServerFaults f;
    EXPECT_EQ(keel::adapters::alpaca::parse_fault("partial_fills=2", f), std::nullopt);
    EXPECT_EQ(f.partial_fills, 2u);
    EXPECT_EQ(keel::adapters::alpaca::parse_fault("foreign_order", f), std::nullopt);
    EXPECT_EQ(f.foreign_order, 1u);
    auto why = [&](const char* text) {
        return keel::adapters::alpaca::parse_fault(text, f).value_or("<accepted>");
    };
    EXPECT_NE(why("foreign_order=3").find("foreign_order is 0 (none), 1 (unfilled) or 2"),
              std::string::npos);
    EXPECT_NE(why("error_code=502").find("error_code is 500 or 504"), std::string::npos);
    EXPECT_NE(why("rate_limit=0").find("rate_limit is 1 to"), std::string::npos);
    EXPECT_NE(why("rate_window_s=0").find("rate_window_s is 1 to 3600"), std::string::npos);
    EXPECT_NE(why("delay_ms=x").find("expected NAME=N"), std::string::npos);
    EXPECT_NE(why("nope=1").find("unknown fault 'nope'"), std::string::npos);
    EXPECT_EQ(f.error_code, 500u);  // a refused value changes nothing
}

}  // namespace
