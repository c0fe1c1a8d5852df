// feed::FeedClient and feed::FeedServer over real loopback sockets: events arrive in order over
// TCP and WebSocket, a closed connection is reported and reconnected, malformed lines are
// counted and skipped, a full queue makes the client wait without losing anything, staleness
// is reported and cleared, and the simulator serves every client the whole replay.
#include <utility>  // Boost 1.74's Asio needs std::exchange declared first

#include "keel/adapters/feed/feed_client.hpp"
#include "keel/adapters/feed/feed_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "keel/adapters/feed/line_format.hpp"

namespace keel::adapters::feed {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using engine::Event;
using engine::EventType;
using engine::FeedState;

// A bound on every wait, only so a broken client fails the test instead of hanging it.
constexpr auto kTimeout = std::chrono::seconds(60);

// Records what the client submits. The test thread waits on its condition variable (never a
// sleep); refuse(n) makes the next n submits find the queue full.
class RecordingPort final : public InputPort {
  public:
    bool submit(const Event& e) noexcept override {
        const std::lock_guard lock(mutex_);
        if (refuse_ > 0) {
            --refuse_;
            ++refused_;
            return false;
        }
        events_.push_back(e);
        cv_.notify_all();
        return true;
    }
    std::optional<Ticket> submit_tracked(const Event&, std::string_view) noexcept override {
        return std::nullopt;
    }
    Fate fate(Ticket) const noexcept override { return Fate::refused; }
    std::uint64_t seq(Ticket) const noexcept override { return 0; }
    void release(Ticket) noexcept override {}

    void refuse(int n) {
        const std::lock_guard lock(mutex_);
        refuse_ = n;
    }
    int refused() {
        const std::lock_guard lock(mutex_);
        return refused_;
    }
    // Waits until pred(events) holds; false on timeout.
    bool wait(const std::function<bool(const std::vector<Event>&)>& pred) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, kTimeout, [&] { return pred(events_); });
    }
    bool wait_data(std::size_t n) {
        return wait([n](const std::vector<Event>& v) { return data(v).size() >= n; });
    }
    std::vector<Event> events() {
        const std::lock_guard lock(mutex_);
        return events_;
    }
    static std::vector<Event> data(const std::vector<Event>& v) {
        std::vector<Event> out;
        for (const Event& e : v) {
            if (engine::is_market_data(e.header.type))
                out.push_back(e);
        }
        return out;
    }
    static std::vector<Event> status(const std::vector<Event>& v) {
        std::vector<Event> out;
        for (const Event& e : v) {
            if (e.header.type == EventType::feed_status)
                out.push_back(e);
        }
        return out;
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<Event> events_;
    int refuse_ = 0;
    int refused_ = 0;
};

// For tests that do not read the log: it must not point at an object that dies before the
// client's thread stops.
FeedClient::Log quiet() {
    return [](std::string_view) {};
}

class Logs {
  public:
    FeedClient::Log sink() {
        return [this](std::string_view line) {
            const std::lock_guard lock(mutex_);
            lines_.emplace_back(line);
        };
    }
    std::vector<std::string> containing(std::string_view text) {
        const std::lock_guard lock(mutex_);
        std::vector<std::string> out;
        for (const std::string& l : lines_) {
            if (l.find(text) != std::string::npos)
                out.push_back(l);
        }
        return out;
    }

  private:
    std::mutex mutex_;
    std::vector<std::string> lines_;
};

engine::SymbolTable table() {
    engine::SymbolTable t(8);
    (void)t.intern("AAPL");
    (void)t.intern("MSFT");
    return t;
}

std::string trade_line(std::int64_t ts, std::string_view symbol = "AAPL") {
    return R"({"type":"trade","symbol":")" + std::string(symbol) + R"(","ts":)" +
           std::to_string(ts) + R"(,"price":")" + std::to_string(ts) + R"(.5","size":"1"})";
}

// A loopback listener for hand-written servers, driven synchronously on a test thread.
class TestListener {
  public:
    TestListener() : acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {}
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    tcp::socket accept() { return acceptor_.accept(); }
    asio::io_context& io() { return io_; }

  private:
    asio::io_context io_;
    tcp::acceptor acceptor_;
};

void write_lines(tcp::socket& s, const std::vector<std::string>& lines) {
    std::string text;
    for (const std::string& l : lines)
        text += l + "\n";
    asio::write(s, asio::buffer(text));
}

// Blocks until the client closes its side (its stop() or a reconnect).
void wait_for_close(tcp::socket& s) {
    char c;
    boost::system::error_code ec;
    while (!ec)
        s.read_some(asio::buffer(&c, 1), ec);
}

// The socket tests' prices climb by whole units per message (1.5, 2.5, ...), so the sanity
// band's jump check is off here; FeedClientSocket.TicksOutsideTheBandAreSubmittedAsRefusals
// turns it on.
FeedClientOptions options_for(std::uint16_t port) {
    FeedClientOptions o;
    o.port = port;
    o.band_options.default_max_jump_pct = keel::engine::Ratio::from_raw(0);
    o.stale_after_ms = 0;
    o.backoff = {1, 20};
    o.queue_full_retry_us = 50;
    return o;
}

TEST(FeedClientSocket, TcpLinesArriveAsEventsInOrderAfterConnected) {
    TestListener listener;
    std::vector<std::string> lines;
    for (int i = 1; i <= 200; ++i)
        lines.push_back(trade_line(i, i % 2 ? "AAPL" : "MSFT"));
    std::thread server([&] {
        tcp::socket s = listener.accept();
        write_lines(s, lines);
        wait_for_close(s);
    });
    RecordingPort port;
    Logs logs;
    FeedClient client(options_for(listener.port()), table(), port, logs.sink());
    client.start();
    const bool got = port.wait_data(200);
    client.stop();
    server.join();
    ASSERT_TRUE(got);

    const std::vector<Event> all = port.events();
    ASSERT_EQ(all.front().header.type, EventType::feed_status);
    EXPECT_EQ(all.front().header.symbol, engine::kNoSymbol);
    EXPECT_EQ(all.front().payload.feed_status.state, FeedState::connected);
    const std::vector<Event> data = RecordingPort::data(all);
    ASSERT_EQ(data.size(), 200u);
    for (int i = 1; i <= 200; ++i) {
        const Event& e = data[static_cast<std::size_t>(i - 1)];
        EXPECT_EQ(e.header.ts_ns, i);
        EXPECT_EQ(e.header.symbol, i % 2 ? 0u : 1u);
        EXPECT_EQ(e.payload.trade.price.raw, i * engine::kScale + engine::kScale / 2);
    }
    EXPECT_EQ(client.counters().messages.load(), 200u);
    EXPECT_EQ(client.counters().events.load(), 200u);
    EXPECT_EQ(client.counters().malformed.load(), 0u);
    EXPECT_GT(client.counters().last_receipt_unix_ns(0), 0);
    // stop() reported the connection's end.
    EXPECT_EQ(all.back().payload.feed_status.state, FeedState::disconnected);
}

// A tick outside its symbol's band reaches the port as a tick_refused input in its place, with
// the price, band and reason, and is counted; the ticks around it arrive as data.
TEST(FeedClientSocket, TicksOutsideTheBandAreSubmittedAsRefusals) {
    TestListener listener;
    const auto line = [](std::int64_t ts, const char* price) {
        return R"({"type":"trade","symbol":"AAPL","ts":)" + std::to_string(ts) +
               R"(,"price":")" + price + R"(","size":"1"})";
    };
    std::thread server([&] {
        tcp::socket s = listener.accept();
        write_lines(s, {line(1, "100"), line(2, "10000000"), line(3, "9200000000"),
                        line(4, "101")});
        wait_for_close(s);
    });
    RecordingPort port;
    Logs logs;
    FeedClientOptions options = options_for(listener.port());
    options.band_options = {};  // the defaults: positive prices, 20% jump
    FeedClient client(options, table(), port, logs.sink());
    client.start();
    const bool got = port.wait([](const std::vector<Event>& v) {
        return std::count_if(v.begin(), v.end(), [](const Event& e) {
                   return e.header.type == EventType::tick_refused;
               }) == 2 && RecordingPort::data(v).size() == 2;
    });
    client.stop();
    server.join();
    ASSERT_TRUE(got);
    const std::vector<Event> all = port.events();
    std::vector<Event> refused;
    for (const Event& e : all) {
        if (e.header.type == EventType::tick_refused)
            refused.push_back(e);
    }
    ASSERT_EQ(RecordingPort::data(all).size(), 2u);
    EXPECT_EQ(refused[0].header.ts_ns, 2);
    EXPECT_EQ(refused[0].payload.tick_refused.reason, engine::TickRefusal::jump);
    EXPECT_EQ(refused[0].payload.tick_refused.price.raw, 10'000'000 * engine::kScale);
    EXPECT_EQ(refused[0].payload.tick_refused.anchor.raw, 100 * engine::kScale);
    EXPECT_EQ(refused[1].payload.tick_refused.reason, engine::TickRefusal::jump);
    EXPECT_EQ(refused[1].payload.tick_refused.high.raw, 120 * engine::kScale);
    EXPECT_EQ(client.counters().ticks_refused.load(), 2u);
    EXPECT_EQ(logs.containing("refused AAPL trade at 10000000 (jump").size(), 1u);
}

TEST(FeedClientSocket, ServerClosingIsReportedAndTheClientReconnects) {
    TestListener listener;
    std::thread server([&] {
        {
            tcp::socket first = listener.accept();
            write_lines(first, {trade_line(1), trade_line(2)});
            first.shutdown(tcp::socket::shutdown_both);
            first.close();
        }
        tcp::socket second = listener.accept();
        write_lines(second, {trade_line(3), trade_line(4)});
        wait_for_close(second);
    });
    RecordingPort port;
    Logs logs;
    FeedClient client(options_for(listener.port()), table(), port, logs.sink());
    client.start();
    const bool got = port.wait_data(4);
    client.stop();
    server.join();
    ASSERT_TRUE(got);

    std::vector<std::string> seen;
    for (const Event& e : port.events()) {
        if (e.header.type == EventType::feed_status)
            seen.emplace_back(engine::to_string(e.payload.feed_status.state));
        else
            seen.push_back("trade " + std::to_string(e.header.ts_ns));
    }
    const std::vector<std::string> expected = {"connected", "trade 1", "trade 2", "disconnected",
                                               "connected", "trade 3", "trade 4", "disconnected"};
    EXPECT_EQ(seen, expected);
    EXPECT_EQ(client.counters().connects.load(), 2u);
    EXPECT_GE(client.counters().reconnects.load(), 1u);
    EXPECT_EQ(logs.containing("disconnected from").size(), 1u);
}

TEST(FeedClientSocket, MalformedLinesAndUnknownSymbolsAreCountedSkippedAndLoggedOnce) {
    TestListener listener;
    const std::vector<std::string> lines = {
        trade_line(1),
        R"({"type":"trade","symbol":"AAPL")",                          // invalid_json
        R"({"type":"trade","symbol":"AAPL","ts":2,"price":"1.2.3"})",  // bad_number
        trade_line(3, "TSLA"),
        R"({"type":"trade")",  // invalid_json again: counted, not logged
        "",                    // a blank keep-alive line is not a message
        trade_line(4, "TSLA"),
        trade_line(5),
    };
    std::thread server([&] {
        tcp::socket s = listener.accept();
        write_lines(s, lines);
        wait_for_close(s);
    });
    RecordingPort port;
    Logs logs;
    FeedClient client(options_for(listener.port()), table(), port, logs.sink());
    client.start();
    const bool got = port.wait_data(2);
    client.stop();
    server.join();
    ASSERT_TRUE(got);

    const std::vector<Event> data = RecordingPort::data(port.events());
    ASSERT_EQ(data.size(), 2u);
    EXPECT_EQ(data[0].header.ts_ns, 1);
    EXPECT_EQ(data[1].header.ts_ns, 5);
    const FeedCounters& c = client.counters();
    EXPECT_EQ(c.messages.load(), 7u);
    EXPECT_EQ(c.malformed.load(), 3u);
    EXPECT_EQ(c.malformed_by_kind[static_cast<std::size_t>(ParseErrorKind::invalid_json)].load(),
              2u);
    EXPECT_EQ(c.malformed_by_kind[static_cast<std::size_t>(ParseErrorKind::bad_number)].load(), 1u);
    EXPECT_EQ(c.unknown_symbols.load(), 2u);
    const auto unknown = c.unknown_by_name();
    ASSERT_EQ(unknown.size(), 1u);
    EXPECT_EQ(unknown[0].first, "TSLA");
    EXPECT_EQ(unknown[0].second, 2u);

    // The first of each kind is logged with where it was: the line's byte offset in the
    // stream and the byte offset in the message.
    const auto invalid = logs.containing("invalid_json");
    ASSERT_EQ(invalid.size(), 1u);
    const std::size_t second_line_offset = lines[0].size() + 1;
    EXPECT_NE(invalid[0].find("message 2 "), std::string::npos) << invalid[0];
    EXPECT_NE(invalid[0].find("stream byte " + std::to_string(second_line_offset)),
              std::string::npos)
        << invalid[0];
    const auto bad_number = logs.containing("bad_number");
    ASSERT_EQ(bad_number.size(), 1u);
    EXPECT_NE(bad_number[0].find("at byte 47 in 'price'"), std::string::npos) << bad_number[0];
    EXPECT_EQ(logs.containing("unknown symbol 'TSLA'").size(), 1u);
}

TEST(FeedClientSocket, LineLongerThanTheLimitIsRefusedAndTheNextLineStillParses) {
    TestListener listener;
    const std::string huge = R"({"type":"ping","pad":")" + std::string(300'000, 'x') + "\"}";
    std::thread server([&] {
        tcp::socket s = listener.accept();
        write_lines(s, {trade_line(1), huge, trade_line(2)});
        wait_for_close(s);
    });
    RecordingPort port;
    FeedClientOptions o = options_for(listener.port());
    o.max_message_bytes = 1024;
    Logs logs;
    FeedClient client(o, table(), port, logs.sink());
    client.start();
    const bool got = port.wait_data(2);
    client.stop();
    server.join();
    ASSERT_TRUE(got);
    const std::vector<Event> data = RecordingPort::data(port.events());
    ASSERT_EQ(data.size(), 2u);
    EXPECT_EQ(data[1].header.ts_ns, 2);
    EXPECT_EQ(client.counters()
                  .malformed_by_kind[static_cast<std::size_t>(ParseErrorKind::too_large)]
                  .load(),
              1u);
    EXPECT_EQ(logs.containing("too_large").size(), 1u);
}

TEST(FeedClientSocket, FullQueueMakesTheClientWaitAndLosesNothing) {
    TestListener listener;
    std::vector<std::string> lines;
    for (int i = 1; i <= 100; ++i)
        lines.push_back(trade_line(i));
    std::thread server([&] {
        tcp::socket s = listener.accept();
        write_lines(s, lines);
        wait_for_close(s);
    });
    RecordingPort port;
    port.refuse(25);
    FeedClient client(options_for(listener.port()), table(), port, quiet());
    client.start();
    const bool got = port.wait_data(100);
    client.stop();
    server.join();
    ASSERT_TRUE(got);
    const std::vector<Event> data = RecordingPort::data(port.events());
    ASSERT_EQ(data.size(), 100u);
    for (std::size_t i = 0; i < data.size(); ++i)
        EXPECT_EQ(data[i].header.ts_ns, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(port.refused(), 25);
    EXPECT_GE(client.counters().queue_full_waits.load(), 1u);
    EXPECT_EQ(client.counters().lost_at_stop.load(), 0u);
}

TEST(FeedClientSocket, SilentSymbolGoesStaleAndFreshAgainBeforeItsNextEvent) {
    TestListener listener;
    std::promise<void> resume;
    std::thread server([&] {
        tcp::socket s = listener.accept();
        write_lines(s, {trade_line(1)});
        resume.get_future().wait();
        write_lines(s, {trade_line(2)});
        wait_for_close(s);
    });
    RecordingPort port;
    FeedClientOptions o = options_for(listener.port());
    o.stale_after_ms = 20;
    Logs logs;
    FeedClient client(o, table(), port, logs.sink());
    client.start();
    // Stale after trade 1 (AAPL may also have gone stale before it, if the server was slow
    // to send it: that one names no last data time).
    const auto aapl_stale = [](const std::vector<Event>& v) {
        for (const Event& e : v) {
            if (e.header.type == EventType::feed_status && e.header.symbol == 0 &&
                e.payload.feed_status.state == FeedState::stale &&
                e.payload.feed_status.last_data_ts_ns == 1)
                return true;
        }
        return false;
    };
    ASSERT_TRUE(port.wait(aapl_stale));
    EXPECT_TRUE(client.counters().stale(0));
    resume.set_value();
    const bool got = port.wait_data(2);
    client.stop();
    server.join();
    ASSERT_TRUE(got);

    // AAPL's own story: trade 1, stale (naming trade 1's time), fresh, trade 2.
    std::vector<std::string> aapl;
    for (const Event& e : port.events()) {
        if (e.header.symbol != 0)
            continue;
        if (e.header.type == EventType::feed_status)
            aapl.push_back(std::string(engine::to_string(e.payload.feed_status.state)) + " " +
                           std::to_string(e.payload.feed_status.last_data_ts_ns) + " " +
                           std::to_string(e.payload.feed_status.stale_after_ms));
        else
            aapl.push_back("trade " + std::to_string(e.header.ts_ns));
    }
    // Around it, what a slow thread may add: stale before trade 1 was sent (then fresh with
    // it), and stale again after trade 2 if stop() took longer than stale_after_ms to land.
    const auto first = std::find(aapl.begin(), aapl.end(), "trade 1");
    const auto last = std::find(aapl.begin(), aapl.end(), "trade 2");
    ASSERT_NE(first, aapl.end());
    ASSERT_NE(last, aapl.end());
    const std::vector<std::string> before(aapl.begin(), first);
    const std::vector<std::string> story(first, last + 1);
    const std::vector<std::string> after(last + 1, aapl.end());
    const std::vector<std::string> expected = {"trade 1", "stale 1 20", "fresh 2 20", "trade 2"};
    EXPECT_EQ(story, expected);
    EXPECT_TRUE(before.empty() || before == (std::vector<std::string>{"stale 0 20", "fresh 1 20"}))
        << ::testing::PrintToString(before);
    EXPECT_TRUE(after.empty() || after == std::vector<std::string>{"stale 2 20"})
        << ::testing::PrintToString(after);
    EXPECT_EQ(client.counters().stale(0), !after.empty());
    // MSFT never had data: it went stale too, with no last data time.
    bool msft_stale = false;
    for (const Event& e : RecordingPort::status(port.events()))
        msft_stale |= e.header.symbol == 1 && e.payload.feed_status.state == FeedState::stale &&
                      e.payload.feed_status.last_data_ts_ns == 0;
    EXPECT_TRUE(msft_stale);
}

TEST(FeedClientSocket, WebSocketKeelAndFinnhubMessagesArriveInOrderAfterTheSubscription) {
    TestListener listener;
    std::promise<std::string> subscription;
    std::thread server([&] {
        beast::websocket::stream<tcp::socket> ws(listener.accept());
        ws.accept();
        beast::flat_buffer buffer;
        ws.read(buffer);
        subscription.set_value(beast::buffers_to_string(buffer.data()));
        ws.text(true);
        for (const std::string& m :
             {trade_line(1), std::string(R"({"type":"ping"})"),
              std::string(R"({"type":"trade","data":[{"s":"MSFT","p":310.5,"t":2,"v":3},)"
                          R"({"s":"AAPL","p":"187.3","t":3,"v":100}]})"),
              std::string(R"({"type":"quote","symbol":"AAPL","ts":4,"bid":1,"ask":2})")}) {
            ws.write(asio::buffer(m));
        }
        boost::system::error_code ec;
        while (!ec)
            ws.read(buffer, ec);  // until the client closes
    });
    RecordingPort port;
    FeedClientOptions o = options_for(listener.port());
    o.protocol = FeedProtocol::ws;
    o.ws_path = "/stream?token=not-logged";
    o.subscribe = {R"({"type":"subscribe","symbol":"AAPL"})"};
    Logs logs;
    FeedClient client(o, table(), port, logs.sink());
    client.start();
    const bool got = port.wait_data(4);
    client.stop();
    server.join();
    ASSERT_TRUE(got);
    EXPECT_EQ(subscription.get_future().get(), R"({"type":"subscribe","symbol":"AAPL"})");

    const std::vector<Event> data = RecordingPort::data(port.events());
    ASSERT_EQ(data.size(), 4u);
    EXPECT_EQ(data[0].header.ts_ns, 1);
    EXPECT_EQ(data[1].header.ts_ns, 2'000'000);  // Finnhub's t is in ms
    EXPECT_EQ(data[1].header.symbol, 1u);
    EXPECT_EQ(data[1].payload.trade.price.raw, 310'500'000'000);
    EXPECT_EQ(data[2].header.ts_ns, 3'000'000);
    EXPECT_EQ(data[2].payload.trade.size.raw, 100 * engine::kScale);
    EXPECT_EQ(data[3].header.type, EventType::quote);
    EXPECT_EQ(client.counters().messages.load(), 4u);
    EXPECT_TRUE(logs.containing("not-logged").empty());
}

// ---- the simulator ---------------------------------------------------------------------

std::vector<Event> recorded(std::size_t n) {
    std::vector<Event> v;
    for (std::size_t i = 0; i < n; ++i) {
        const auto ts = static_cast<std::int64_t>(1'700'000'000'000'000'000 + i * 1'000'000);
        Event e;
        if (i % 3 == 2) {
            e = engine::make_event(EventType::bar, engine::Source::feed, 0, ts, 1);
            e.header.aux = 30;
            e.payload.bar = {engine::Price{2 * engine::kScale}, engine::Price{3 * engine::kScale},
                             engine::Price{engine::kScale}, engine::Price{2 * engine::kScale},
                             engine::Quantity{static_cast<std::int64_t>(i)}};
        } else if (i % 3 == 1) {
            e = engine::make_event(EventType::quote, engine::Source::feed, 0, ts, 0);
            e.payload.quote = {engine::Price{static_cast<std::int64_t>(i + 1)}, engine::Quantity{1},
                               engine::Price{static_cast<std::int64_t>(i + 2)},
                               engine::Quantity{2}};
        } else {
            e = engine::make_event(EventType::trade, engine::Source::feed, 0, ts, 0);
            e.payload.trade.price.raw = static_cast<std::int64_t>(i + 1) * 1000;
            e.payload.trade.size.raw = 7;
        }
        v.push_back(e);
    }
    return v;
}

void expect_same_data(const std::vector<Event>& got, const std::vector<Event>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i)
        ASSERT_EQ(std::memcmp(&got[i], &want[i], sizeof(Event)), 0) << "event " << i;
}

class FeedServerSocket : public ::testing::TestWithParam<FeedProtocol> {};

TEST_P(FeedServerSocket, EveryClientGetsTheWholeReplayAndTheServerEndsAfterIt) {
    const std::vector<Event> events = recorded(3000);
    FeedServerOptions so;
    so.protocol = GetParam();
    FeedServer server(events, {"AAPL", "MSFT"}, so);
    std::string error;
    ASSERT_TRUE(server.listen(error)) << error;

    // Two clients connect before the server accepts anything: each gets every message.
    RecordingPort port_a, port_b;
    FeedClientOptions o = options_for(server.port());
    o.protocol = GetParam();
    FeedClient a(o, table(), port_a, quiet());
    a.start();
    if (GetParam() == FeedProtocol::tcp) {
        // Over TCP the kernel completes the connection before the server accepts, so the
        // second client can be known connected before the server starts; a WebSocket's
        // handshake needs the server running, so there the second client may arrive late,
        // which the server must serve in full as well (or after the replay: refused).
        const auto connected = [](const std::vector<Event>& v) { return !v.empty(); };
        ASSERT_TRUE(port_a.wait(connected));
    }
    FeedClient b(o, table(), port_b, quiet());
    if (GetParam() == FeedProtocol::tcp) {
        b.start();
        ASSERT_TRUE(port_b.wait([](const std::vector<Event>& v) { return !v.empty(); }));
    }
    std::atomic<bool> stop{false};
    std::thread serving([&] { server.run(stop); });
    bool got = port_a.wait_data(events.size());
    if (GetParam() == FeedProtocol::tcp)
        got = got && port_b.wait_data(events.size());
    if (!got)
        stop.store(true);
    serving.join();  // returns by itself once the replays have ended
    a.stop();
    b.stop();
    ASSERT_TRUE(got);

    expect_same_data(RecordingPort::data(port_a.events()), events);
    if (GetParam() == FeedProtocol::tcp) {
        expect_same_data(RecordingPort::data(port_b.events()), events);
        EXPECT_EQ(server.messages_sent(), 2 * events.size());
        EXPECT_EQ(server.clients(), 2u);
    } else {
        EXPECT_EQ(server.messages_sent(), events.size());
    }
    // The end of the replay closed the connection: the client saw it.
    const std::vector<Event> status = RecordingPort::status(port_a.events());
    ASSERT_GE(status.size(), 2u);
    EXPECT_EQ(status[1].payload.feed_status.state, FeedState::disconnected);
}

TEST_P(FeedServerSocket, PacedByRateTheReplayIsCompleteAndInOrder) {
    const std::vector<Event> events = recorded(60);
    FeedServerOptions so;
    so.protocol = GetParam();
    so.rate = 2000;
    FeedServer server(events, {"AAPL", "MSFT"}, so);
    std::string error;
    ASSERT_TRUE(server.listen(error)) << error;
    std::atomic<bool> stop{false};
    std::thread serving([&] { server.run(stop); });
    RecordingPort port;
    FeedClientOptions o = options_for(server.port());
    o.protocol = GetParam();
    FeedClient client(o, table(), port, quiet());
    client.start();
    const bool got = port.wait_data(events.size());
    if (!got)
        stop.store(true);
    serving.join();
    client.stop();
    ASSERT_TRUE(got);
    expect_same_data(RecordingPort::data(port.events()), events);
}

INSTANTIATE_TEST_SUITE_P(TcpAndWs, FeedServerSocket,
                         ::testing::Values(FeedProtocol::tcp, FeedProtocol::ws),
                         [](const auto& param_info) {
                             return std::string(to_string(param_info.param));
                         });

TEST(FeedServerSocketLoop, LoopingMovesTimestampsOnSoTimeKeepsGoingForward) {
    const std::vector<Event> events = recorded(10);  // 1 ms apart: span 9 ms, cycle 10 ms
    FeedServerOptions so;
    so.loop = true;
    FeedServer server(events, {"AAPL", "MSFT"}, so);
    std::string error;
    ASSERT_TRUE(server.listen(error)) << error;
    std::atomic<bool> stop{false};
    std::thread serving([&] { server.run(stop); });
    RecordingPort port;
    FeedClient client(options_for(server.port()), table(), port, quiet());
    client.start();
    const bool got = port.wait_data(25);
    stop.store(true);
    serving.join();
    client.stop();
    ASSERT_TRUE(got);
    const std::vector<Event> data = RecordingPort::data(port.events());
    ASSERT_GE(data.size(), 25u);
    for (std::size_t i = 0; i < 25; ++i) {
        const Event& want = events[i % 10];
        EXPECT_EQ(data[i].header.type, want.header.type);
        EXPECT_EQ(data[i].header.ts_ns,
                  want.header.ts_ns + static_cast<std::int64_t>(i / 10) * 10'000'000)
            << i;
    }
}

// Events an hour apart at speed 1: after the first, the replay waits an hour for the next.
std::vector<Event> hourly(std::size_t n) {
    std::vector<Event> v = recorded(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i].header.ts_ns =
            1'700'000'000'000'000'000 + static_cast<std::int64_t>(i) * 3'600'000'000'000;
    return v;
}

TEST(FeedServerSocketPaced, ClientLeavingMidReplayEndsTheServerWithoutWaitingForTheNextMessage) {
    FeedServerOptions so;
    so.speed = 1;
    FeedServer server(hourly(3), {"AAPL", "MSFT"}, so);
    std::string error;
    ASSERT_TRUE(server.listen(error)) << error;
    std::atomic<bool> stop{false};
    auto served = std::async(std::launch::async, [&] { server.run(stop); });
    RecordingPort port;
    FeedClient client(options_for(server.port()), table(), port, quiet());
    client.start();
    const bool got = port.wait_data(1);
    client.stop();
    const bool ended = served.wait_for(kTimeout) == std::future_status::ready;
    stop.store(true);  // only matters when the server failed to end by itself
    served.wait();
    ASSERT_TRUE(got);
    EXPECT_TRUE(ended);
    EXPECT_EQ(server.messages_sent(), 1u);
}

TEST(FeedServerSocketPaced, StopEndsAPacedReplayAtOnce) {
    FeedServerOptions so;
    so.speed = 1;
    FeedServer server(hourly(3), {"AAPL", "MSFT"}, so);
    std::string error;
    ASSERT_TRUE(server.listen(error)) << error;
    std::atomic<bool> stop{false};
    std::thread serving([&] { server.run(stop); });
    RecordingPort port;
    FeedClient client(options_for(server.port()), table(), port, quiet());
    client.start();
    const bool got = port.wait_data(1);
    stop.store(true);
    serving.join();  // without the stop it would wait an hour for the second message
    const bool disconnected = port.wait([](const std::vector<Event>& v) {
        return !v.empty() && v.back().header.type == EventType::feed_status &&
               v.back().payload.feed_status.state == FeedState::disconnected;
    });
    client.stop();
    ASSERT_TRUE(got);
    EXPECT_TRUE(disconnected);
}

TEST(FeedServerSocketListen, BadAddressAndBusyPortAreNamed) {
    FeedServerOptions so;
    so.host = "not-an-address";
    FeedServer bad({}, {}, so);
    std::string error;
    EXPECT_FALSE(bad.listen(error));
    EXPECT_NE(error.find("not-an-address:0"), std::string::npos) << error;

    TestListener busy;
    so.host = "127.0.0.1";
    so.port = busy.port();
    FeedServer taken({}, {}, so);
    EXPECT_FALSE(taken.listen(error));
    EXPECT_NE(error.find("cannot listen on 127.0.0.1:" + std::to_string(busy.port())),
              std::string::npos)
        << error;
}

}  // namespace
}  // namespace keel::adapters::feed
