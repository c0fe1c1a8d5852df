// alpaca_bench: the order-to-ack round trip over loopback HTTPS through keel (the gateway's
// order_sent handed to the venue seam -> the adapter thread -> AlpacaVenue -> POST /v2/orders
// over TLS on its keep-alive order lane -> the local Alpaca server -> back -> the venue_ack taken
// off ingest's reply queue) beside a bare synchronous Boost.Beast TLS client POSTing the same
// body with the same headers to an identical server, in one run, the two interleaved one round
// trip each. Reports p50 and p99 of both and their ratios (keel / bare: target 1.2 at p50, gate
// bound 2.0; p99 reported). Every round trip is checked (the ack names the order and carries
// Alpaca's id; the servers saw no reused client_order_id, no unknown order, no bad request and
// no rate-limit refusal; keel's adapter had nothing in doubt) and a failed check ends the run
// with exit status 1.
//
// Threads (2 CPUs): the benchmark thread (the gateway's and ingest's side of keel's path, and
// the whole bare client, which blocks in its socket reads as a synchronous client does), keel's
// adapter thread (ThreadedVenue, idle "yield" as config/alpaca.json has it) and the two
// servers' threads (AlpacaTestServer: one io_context each, blocking in epoll when idle).
//
// Pacing: keel's adapter holds its requests to rate_limit_per_min (at most 10000, which is a
// burst of 1000 and then 150 a second), and each iteration costs it two (the order and its
// cancel). A slightly slower copy of that bucket here paces the iterations, so that no keel
// request ever waits for the adapter's limiter inside a timed round trip.
#include <benchmark/benchmark.h>
#include <sched.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "bench_support.hpp"
#include "keel/adapters/alpaca/alpaca_codec.hpp"
#include "keel/adapters/alpaca/alpaca_test_server.hpp"
#include "keel/adapters/alpaca/alpaca_venue.hpp"
#include "keel/adapters/http/tls_client.hpp"
#include "keel/engine/orders/gateway_stage.hpp"
#include "keel/engine/orders/venue_id.hpp"
#include "seam_round_trip.hpp"

namespace {

namespace alpaca = keel::adapters::alpaca;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using keel::bench::seam::Clock;
using keel::bench::seam::HopHistograms;
using keel::bench::seam::kGiveUpAfter;
using keel::bench::seam::limit_order;
using keel::bench::seam::stamp;

constexpr const char* kRoundTrips = "order_to_ack";
constexpr const char* kSymbol = "AAPL";
constexpr const char* kKeyId = "PKBENCHKEYID01234567";
constexpr const char* kSecretKey = "bench-secret-key-0123456789abcdefghijklm";
// Session id prefixes (the journal's, in keel): different ones give the two paths
// client_order_ids of the same length.
constexpr std::uint64_t kKeelPrefix = 0x2b1d4;
constexpr std::uint64_t kBarePrefix = 0x4c3e2;
// The adapter's limiter at its configurable maximum (config: 1 to 10000 a minute).
constexpr std::uint32_t kKeelRateLimitPerMin = 10'000;
// The servers' own limit: far above anything this run sends.
constexpr std::uint64_t kServerRateLimitPerMin = 1'000'000;

std::string source_file(const char* relative) {
    return std::string(KEEL_SOURCE_DIR) + "/" + relative;
}

// --- pacing: a copy of the adapter's limiter, a little slower ---

// The adapter's RateLimiter at 10000 a minute is a GCRA of burst 1000 and one token every
// 6.67 ms. This one has burst 900 and a token every 7 ms, so whenever it lets an iteration's
// two requests go, the adapter's own bucket has them too (the reconciliation's three requests
// and an account poll every 5 s come out of the margin).
class Pacer {
  public:
    // Blocks (sleeps) until `tokens` more requests may go; returns how long it waited.
    Clock::duration acquire(int tokens) {
        const Clock::time_point now = Clock::now();
        if (!tat_)
            tat_ = now;
        Clock::time_point tat = std::max(*tat_, now);
        const Clock::time_point after = tat + kInterval * tokens;
        // Allowed while the bucket's theoretical arrival time stays within the burst.
        const Clock::time_point may_go = after - kInterval * kBurst;
        Clock::duration waited{};
        if (may_go > now) {
            std::this_thread::sleep_until(may_go);
            waited = Clock::now() - now;
        }
        tat_ = after;
        return waited;
    }

  private:
    static constexpr std::chrono::microseconds kInterval{7000};
    static constexpr int kBurst = 900;
    std::optional<Clock::time_point> tat_;
};

// --- the servers: two identical local Alpaca servers, one thread each ---

class Server {
  public:
    Server() {
        alpaca::AlpacaServerOptions o;
        o.cert_file = source_file("tests/data/tls/localhost.crt");
        o.key_file = source_file("tests/data/tls/localhost.key");
        o.key_id = kKeyId;
        o.secret_key = kSecretKey;
        o.matching.mode = keel::adapters::MatchMode::ticks;
        o.rate_limit_per_min = kServerRateLimitPerMin;
        keel::engine::SymbolTable symbols(2);
        (void)symbols.intern(kSymbol);
        server_ = std::make_unique<alpaca::AlpacaTestServer>(o, std::move(symbols));
        if (const auto error = server_->open()) {
            std::fprintf(stderr, "alpaca_bench: cannot open a server: %s\n", error->c_str());
            server_.reset();
            return;
        }
        thread_ = std::thread([this] { server_->run(); });
    }
    ~Server() { stop(); }
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    void stop() {
        if (server_ && thread_.joinable()) {
            server_->stop();
            thread_.join();
        }
    }
    [[nodiscard]] bool ok() const { return server_ != nullptr; }
    [[nodiscard]] int port() const { return server_->port(); }
    // After stop() only.
    [[nodiscard]] const alpaca::AlpacaServerCounters& counters() const {
        return server_->counters();
    }

  private:
    std::unique_ptr<alpaca::AlpacaTestServer> server_;
    std::thread thread_;
};

// --- keel's path ---

// The bare client's hops: write (the request serialized, encrypted, written), read (wire,
// server, the answer read, decrypted and parsed).
enum BareHop : std::size_t { kBareWrite = keel::bench::seam::kKeelHops, kBareRead };
const std::vector<std::string> kBareHops = {"write", "wire+read"};

// AlpacaVenue on keel's side of the seam, with the options the session assembly gives a
// venue.type "alpaca" account (SessionAssembly::build_alpaca_venue) from config/alpaca.json's
// venue section, but for the rate limit (at its maximum) and the server's address. The ack's
// tail carries Alpaca's order id (aid=...). The cancel is a DELETE, then the stream's canceled
// event; the stream's `new`, when it comes after the POST's answer, adds nothing.
using KeelPath = keel::bench::seam::VenuePath<alpaca::AlpacaVenue>;

alpaca::AlpacaVenueOptions keel_options(int port) {
    alpaca::AlpacaVenueOptions o;
    const std::string host = "localhost:" + std::to_string(port);
    o.config.base_url = "https://" + host;
    o.config.stream_url = "wss://" + host + "/stream";
    o.config.ca_file = source_file("tests/data/tls/localhost.crt");
    o.config.key_id = kKeyId;
    o.config.secret_key = kSecretKey;
    o.config.request_timeout_ms = 5000;  // config/alpaca.json's
    o.config.rate_limit_per_min = kKeelRateLimitPerMin;
    o.config.account_poll_ms = 5000;
    o.config.max_order_age_ms = 5000;
    o.venue_id_prefix = kKeelPrefix;
    o.symbols = {kSymbol};
    o.order_capacity = keel::engine::GatewayStage::kDefaultOrderCapacity;
    return o;
}

// --- the bare client ---

// A synchronous Boost.Beast HTTPS client with nothing around it: one keep-alive TLS connection
// (TCP_NODELAY, the same certificate trust and host-name check as keel's client), the body
// keel's codec makes for the same order (encode_new_order; only the client_order_id's prefix
// differs) with the headers keel's client sends, written, then the answer read and parsed.
// It listens to trade_updates as any Alpaca client must (fills come only there), so its server
// writes every order's events as keel's does and both servers do the same work per order; it
// reads them untimed, after the cancel's answer, until its order's `canceled` event.
class BarePath {
  public:
    explicit BarePath(int port)
        : tls_(keel::adapters::http::make_client_tls_context(
              source_file("tests/data/tls/localhost.crt"))),
          stream_(io_, tls_),
          events_(io_, tls_),
          host_("localhost:" + std::to_string(port)) {
        beast::error_code ec;
        asio::ip::tcp::resolver resolver(io_);
        const auto endpoints = resolver.resolve("localhost", std::to_string(port), ec);
        if (!ec)
            connect(stream_, endpoints, ec);
        if (!ec)
            connect(events_.next_layer(), endpoints, ec);
        if (!ec)
            events_.handshake(host_, "/stream", ec);
        ok_ = !ec && listen();
        if (!ok_)
            std::fprintf(stderr, "alpaca_bench: the bare client cannot connect: %s\n",
                         ec ? ec.message().c_str() : "trade_updates refused");
    }
    BarePath(const BarePath&) = delete;
    BarePath& operator=(const BarePath&) = delete;

    [[nodiscard]] bool ok() const { return ok_; }

    // One order: its JSON made, written, the 200 read and parsed; the ns, or 0 (with why).
    std::uint64_t order_to_ack(std::uint64_t seq, HopHistograms& hops, const char*& why) {
        const keel::engine::OrderPayload o = limit_order(seq);
        const std::string id(keel::engine::make_venue_id(kBarePrefix, o.order_id).view());
        const auto t0 = Clock::now();
        const alpaca::Body body = alpaca::encode_new_order(o, id, kSymbol);
        if (!body.ok() || !send(bhttp::verb::post, "/v2/orders", body.json)) {
            why = "bare: the order could not be written";
            return 0;
        }
        const std::int64_t written = stamp();
        if (!read() || response_.result_int() != 200 ||
            response_.body().find(id) == std::string::npos) {
            why = "bare: the order was not answered 200 with its client_order_id";
            return 0;
        }
        const auto t1 = Clock::now();
        hops.record(kBareWrite, t0.time_since_epoch().count(), written);
        hops.record(kBareRead, written, t1.time_since_epoch().count());
        // Untimed: canceled, as keel's path cancels its order (DELETE names Alpaca's id), and
        // the order's events read up to its `canceled`.
        alpaca::Order placed;
        if (alpaca::decode_order(response_.body(), placed) ||
            !send(bhttp::verb::delete_, "/v2/orders/" + placed.id, {}) || !read() ||
            response_.result_int() != 204) {
            why = "bare: the cancel was not answered 204";
            return 0;
        }
        if (!read_events_until(id, "\"canceled\"")) {
            why = "bare: trade_updates carried no canceled event for the order";
            return 0;
        }
        return static_cast<std::uint64_t>((t1 - t0).count());
    }

  private:
    using Tls = beast::ssl_stream<beast::tcp_stream>;
    static void connect(Tls& tls, const asio::ip::tcp::resolver::results_type& endpoints,
                        beast::error_code& ec) {
        if (!keel::adapters::http::prepare_tls_stream(tls, "localhost")) {
            ec = asio::error::invalid_argument;
            return;
        }
        beast::get_lowest_layer(tls).connect(endpoints, ec);
        if (!ec)
            beast::get_lowest_layer(tls).socket().set_option(asio::ip::tcp::no_delay(true), ec);
        if (!ec)
            tls.handshake(asio::ssl::stream_base::client, ec);
    }
    // trade_updates: authenticate, then listen (each answered before the next).
    bool listen() {
        const std::string auth = std::string(R"({"action":"authenticate","data":{"key_id":")") +
                                 kKeyId + R"(","secret_key":")" + kSecretKey + R"("}})";
        beast::error_code ec;
        events_.write(asio::buffer(auth), ec);
        if (ec || !read_events_until(R"("status":"authorized")", "authorization"))
            return false;
        events_.write(asio::buffer(std::string_view(
                          R"({"action":"listen","data":{"streams":["trade_updates"]}})")),
                      ec);
        return !ec && read_events_until("trade_updates", "listening");
    }
    // Reads messages (text or binary) until one holds both strings.
    bool read_events_until(std::string_view a, std::string_view b) {
        for (;;) {
            event_buffer_.clear();
            beast::error_code ec;
            events_.read(event_buffer_, ec);
            if (ec)
                return false;
            const std::string_view m(static_cast<const char*>(event_buffer_.data().data()),
                                     event_buffer_.size());
            if (m.find(a) != std::string_view::npos && m.find(b) != std::string_view::npos)
                return true;
        }
    }

    bool send(bhttp::verb verb, const std::string& target, const std::string& body) {
        request_ = {};
        request_.method(verb);
        request_.target(target);
        request_.version(11);
        request_.set(bhttp::field::host, host_);
        request_.set(bhttp::field::user_agent, "keel");
        request_.set("APCA-API-KEY-ID", kKeyId);
        request_.set("APCA-API-SECRET-KEY", kSecretKey);
        if (!body.empty()) {
            request_.set(bhttp::field::content_type, "application/json");
            request_.body() = body;
        }
        request_.prepare_payload();
        beast::error_code ec;
        bhttp::write(stream_, request_, ec);
        return !ec;
    }
    bool read() {
        response_ = {};
        beast::error_code ec;
        bhttp::read(stream_, buffer_, response_, ec);
        return !ec && response_.keep_alive();
    }

    asio::io_context io_;
    asio::ssl::context tls_;
    Tls stream_;
    beast::websocket::stream<Tls> events_;
    beast::flat_buffer event_buffer_;
    std::string host_;
    beast::flat_buffer buffer_;
    bhttp::request<bhttp::string_body> request_;
    bhttp::response<bhttp::string_body> response_;
    bool ok_ = false;
};

// --- the rig: built once, shared by every run of the benchmark ---

struct Rig {
    Rig() {
        if (!keel_server.ok() || !bare_server.ok())
            return;
        keel = std::make_unique<KeelPath>(keel_options(keel_server.port()), "alpaca_bench", "aid=");
        bare = std::make_unique<BarePath>(bare_server.port());
        ready = keel->wait_ready() && bare->ok();
        if (!ready)
            std::fprintf(stderr, "alpaca_bench: keel's adapter was not ready within %lld s\n",
                         static_cast<long long>(kGiveUpAfter.count()));
    }
    ~Rig() {
        keel.reset();
        bare.reset();
        keel_server.stop();
        bare_server.stop();
    }
    // What the servers and keel's adapter counted that a correct run never does; empty when
    // all is well. Stops the servers (call once, at the end).
    std::string problems() {
        keel.reset();  // keel's adapter stops first (its stream closes cleanly)
        keel_server.stop();
        bare_server.stop();
        std::string out;
        const auto check = [&out](bool bad, const char* what) {
            if (bad)
                out += std::string(out.empty() ? "" : "; ") + what;
        };
        for (const Server* s : {&keel_server, &bare_server}) {
            const alpaca::AlpacaServerCounters& c = s->counters();
            check(c.max_orders_per_client_id > 1, "a server placed two orders for one id");
            check(c.reused_client_order_ids != 0, "a server saw a client_order_id twice");
            check(c.unknown_orders != 0, "a server saw a request for an unknown order");
            check(c.invalid_requests != 0, "a server refused a request as invalid");
            check(c.unauthorized != 0, "a server refused the keys");
            check(c.rate_limited != 0, "a server answered 429");
        }
        check(keel_server.counters().orders_placed != bare_server.counters().orders_placed ||
                  keel_server.counters().canceled != bare_server.counters().canceled,
              "the two servers did not place and cancel the same number of orders");
        if (keel_counters_.requests != 0) {
            const Snapshot& c = keel_counters_;
            check(c.in_doubt != 0, "keel's adapter had an order in doubt");
            check(c.rate_limited != 0, "keel's adapter was answered 429");
            check(c.expired != 0, "keel's adapter held an order past its age (its rate limit)");
            check(c.malformed != 0, "keel's adapter dropped an answer it could not decode");
            check(c.refused_offline != 0, "keel's adapter refused an order offline");
            check(c.disconnects != 0, "keel's stream dropped");
            check(posted_before_start != 0, "keel's adapter posted before start()");
        }
        return out;
    }
    // keel's counters, read before the adapter goes.
    void snapshot_keel() {
        if (!keel)
            return;
        const alpaca::AlpacaVenueCounters& c = keel->venue().counters();
        keel_counters_ = {c.requests.load(),    c.in_doubt.load(),  c.rate_limited.load(),
                          c.expired.load(),     c.malformed.load(), c.refused_offline.load(),
                          c.disconnects.load(), c.duplicates.load()};
        posted_before_start = keel->posted_before_start();
    }
    struct Snapshot {
        std::uint64_t requests, in_doubt, rate_limited, expired, malformed, refused_offline,
            disconnects, duplicates;
    };

    Server keel_server;
    Server bare_server;
    std::unique_ptr<KeelPath> keel;
    std::unique_ptr<BarePath> bare;
    bool ready = false;
    Pacer pacer;
    std::uint64_t paced_iterations = 0;
    std::uint64_t posted_before_start = 0;
    Snapshot keel_counters_{};
    keel::bench::seam::RoundTrips all{kBareHops};
};

std::unique_ptr<Rig> g_rig;

// Each iteration: the pacer lets keel's two requests (order and cancel) go, then one round trip
// through keel and one through the bare client, in alternating order.
void bm_order_to_ack(benchmark::State& state) {
    if (!g_rig)
        g_rig = std::make_unique<Rig>();
    Rig& rig = *g_rig;
    if (!rig.ready) {
        state.SkipWithError("keel's Alpaca adapter did not become ready (stderr says why)");
        return;
    }
    keel::bench::seam::interleave(state, rig.all, *rig.keel, *rig.bare, [&] {
        if (rig.pacer.acquire(2) > Clock::duration::zero())
            ++rig.paced_iterations;
    });
}

void print_plan(const Rig& rig, std::FILE* out) {
    std::fprintf(out,
                 "\nthreads: benchmark thread (keel's gateway+ingest side, the whole bare client, "
                 "blocking reads), keel's adapter thread (ThreadedVenue, idle yield), one thread "
                 "per server (blocking in epoll); nothing pinned\n"
                 "pacing: %llu of the iterations waited for the copy of keel's rate limit "
                 "(%u a minute: burst %u, then %u a second)\n",
                 static_cast<unsigned long long>(rig.paced_iterations), kKeelRateLimitPerMin,
                 kKeelRateLimitPerMin / 10,
                 (kKeelRateLimitPerMin - kKeelRateLimitPerMin / 10) / 60);
}

}  // namespace

int main(int argc, char** argv) {
    const bool console = keel::bench::stdout_is_console(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    benchmark::RegisterBenchmark(kRoundTrips, bm_order_to_ack)->UseRealTime();
    keel::bench::CollectingReporter reporter(benchmark::CreateDefaultDisplayReporter());
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    int status = reporter.errors() > 0 ? 1 : 0;
    if (!g_rig)
        return status;  // filtered out
    g_rig->snapshot_keel();
    const std::string problems = g_rig->problems();
    if (!problems.empty()) {
        std::fprintf(stderr, "alpaca_bench: %s\n", problems.c_str());
        status = 1;
    }
    std::FILE* out = console ? stdout : stderr;
    print_plan(*g_rig, out);
    keel::bench::seam::print_round_trips(g_rig->all, "HTTPS", out);
    // Gated at 2x: catches a gross regression of keel's path around the HTTPS request (the
    // seam, the adapter thread, AlpacaVenue's bookkeeping, HttpsClient); 1.2x is the target.
    const std::vector<keel::bench::RatioRow> rows =
        keel::bench::seam::ratio_rows(g_rig->all, "p50 order to ack: keel / bare Beast",
                                      "p99 order to ack: keel / bare Beast", 1.2, 2.0);
    keel::bench::print_ratio_table(reporter, rows, out, {}, keel::bench::Disturbance::voids_gate);
    g_rig.reset();
    return status;
}
