// HttpServer over real loopback sockets: requests reach the handler and answers reach the
// client, keep-alive, the size, time and connection limits with their JSON errors, the
// handler deadline, bind failures, and a stop that neither hangs nor drops an in-flight answer.
#include "keel/adapters/http/http_server.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <chrono>
#include <condition_variable>

#include <atomic>
#include <future>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "http_test_client.hpp"

namespace keel::adapters::http {
namespace {

using test::TestClient;

Handler echo_handler(std::atomic<int>* calls = nullptr) {
    return [calls](HttpRequest&& req, Respond respond) {
        if (calls != nullptr)
            calls->fetch_add(1);
        HttpResponse res;
        res.content_type = "text/plain";
        res.body = std::string(req.path()) + "|" + req.body + "|" +
                   std::string(req.header("x-test")) + "|" + std::to_string(req.remote_ipv4) + "|" +
                   std::to_string(static_cast<int>(req.method));
        respond(std::move(res));
    };
}

ServerOptions small_options() {
    ServerOptions o;
    o.max_body_bytes = 1024;
    o.max_header_bytes = 1024;
    return o;
}

// The raw bytes a server whose handler answers `res` sends for one `method /` request on a
// connection the client asks to close (empty, with a failure, when the server cannot start).
std::string raw_answer(const HttpResponse& res, std::string_view method) {
    HttpServer server(small_options(), [&res](HttpRequest&&, Respond respond) { respond(res); });
    if (!server.start().ok()) {
        ADD_FAILURE() << "the server did not start";
        return {};
    }
    TestClient c(server.bound_port());
    EXPECT_TRUE(
        c.send(std::string(method) + " / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    return c.read_until_closed();
}

TEST(HttpServer, HandsTheRequestToTheHandlerAndWritesItsAnswer) {
    HttpServer server(small_options(), echo_handler());
    ASSERT_TRUE(server.start().ok());
    ASSERT_NE(server.bound_port(), 0);
    TestClient c(server.bound_port());
    const auto r = c.request("POST", "/a/b?x=1", "hello", "X-Test: yes\r\n");
    EXPECT_EQ(r.status, 200u);
    // 2130706433 = 127.0.0.1 in host byte order; 2 = HttpMethod::post.
    EXPECT_EQ(r.body, "/a/b|hello|yes|2130706433|2");
}

TEST(HttpServer, KeepsTheConnectionAliveAcrossRequests) {
    std::atomic<int> calls{0};
    HttpServer server(small_options(), echo_handler(&calls));
    ASSERT_TRUE(server.start().ok());
    TestClient c(server.bound_port());
    for (int i = 0; i < 3; ++i) {
        const auto r = c.request("POST", "/k", std::to_string(i));
        ASSERT_EQ(r.status, 200u) << r.error;
        EXPECT_EQ(r.body.substr(0, 5), "/k|" + std::to_string(i) + "|");
        EXPECT_NE(r.connection, "close");
    }
    EXPECT_EQ(calls.load(), 3);
    EXPECT_EQ(server.counters().requests.load(), 3u);
}

TEST(HttpServer, AnswersHeadWithTheHeadersOfTheBodyButNotTheBody) {
    HttpResponse hello;
    hello.body = "hello";
    const std::string got = raw_answer(hello, "HEAD");
    ASSERT_GE(got.size(), 4u);
    EXPECT_NE(got.find("Content-Length: 5\r\n"), std::string::npos) << got;
    EXPECT_EQ(got.substr(got.size() - 4), "\r\n\r\n") << got;  // nothing after the head
}

TEST(HttpServer, KeepsAnHttp10ConnectionAliveOnlyWhenAskedAndSaysSo) {
    HttpServer server(small_options(), echo_handler());
    ASSERT_TRUE(server.start().ok());
    TestClient c(server.bound_port());
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(c.send("GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        const auto r = c.read_response();
        ASSERT_EQ(r.status, 200u) << r.error;
        EXPECT_EQ(r.connection, "keep-alive");
    }
    ASSERT_TRUE(c.send("GET /k HTTP/1.0\r\n\r\n"));
    const auto last = c.read_response();
    EXPECT_EQ(last.status, 200u) << last.error;
    EXPECT_EQ(last.connection, "close");
    c.read_until_closed();
    EXPECT_TRUE(c.closed_by_peer());
}

TEST(HttpServer, LeavesOutHandlerHeadersThatWouldCorruptTheAnswer) {
    HttpResponse res;
    res.body = "ok";
    res.headers = {{"Content-Length", "999"},
                   {"Connection", "keep-alive"},
                   {"X-Fine", "1"},
                   {"X-Split", "a\r\nInjected: 1"}};
    const std::string got = raw_answer(res, "GET");
    ASSERT_GE(got.size(), 2u);
    EXPECT_NE(got.find("\r\nX-Fine: 1\r\n"), std::string::npos) << got;
    EXPECT_NE(got.find("\r\nContent-Length: 2\r\n"), std::string::npos) << got;
    EXPECT_EQ(got.find("999"), std::string::npos) << got;
    EXPECT_EQ(got.find("Injected"), std::string::npos) << got;
    EXPECT_EQ(got.find("keep-alive"), std::string::npos) << got;
    EXPECT_EQ(got.substr(got.size() - 2), "ok") << got;
}

TEST(HttpServer, AnswersA2MegabyteContentLengthWith413BeforeReadingTheBody) {
    std::atomic<int> calls{0};
    HttpServer server(small_options(), echo_handler(&calls));
    ASSERT_TRUE(server.start().ok());
    TestClient c(server.bound_port());
    // Only the headers are sent: the answer must come without the server waiting for 2 MB.
    ASSERT_TRUE(c.send("POST /w HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n"));
    const auto r = c.read_response();
    EXPECT_EQ(r.status, 413u) << r.error;
    EXPECT_NE(r.body.find("\"error\":\"body_too_large\""), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("1024 bytes"), std::string::npos) << r.body;
    EXPECT_EQ(calls.load(), 0);
    EXPECT_EQ(server.counters().body_too_large.load(), 1u);
}

TEST(HttpServer, AnswersAStreamedChunkedBodyPastTheLimitWith413) {
    std::atomic<int> calls{0};
    HttpServer server(small_options(), echo_handler(&calls));
    ASSERT_TRUE(server.start().ok());
    TestClient c(server.bound_port());
    ASSERT_TRUE(c.send("POST /w HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
    const std::string chunk = "400\r\n" + std::string(1024, 'a') + "\r\n";
    // 2 MB in 1 KB chunks; the server may close before all of it is sent.
    for (int i = 0; i < 2048 && c.send(chunk); ++i) {
    }
    const auto r = c.read_response();
    EXPECT_EQ(r.status, 413u) << r.error;
    EXPECT_NE(r.body.find("body_too_large"), std::string::npos);
    EXPECT_EQ(calls.load(), 0);
}

TEST(HttpServer, AnswersOversizedHeadersWith431) {
    HttpServer server(small_options(), echo_handler());
    ASSERT_TRUE(server.start().ok());
    TestClient c(server.bound_port());
    const auto r = c.request("GET", "/", "", "X-Big: " + std::string(4096, 'b') + "\r\n");
    EXPECT_EQ(r.status, 431u) << r.error;
    EXPECT_NE(r.body.find("max_header_bytes"), std::string::npos);
}

TEST(HttpServer, MalformedRequestLineGets400JsonError) {
    HttpServer server(small_options(), echo_handler());
    ASSERT_TRUE(server.start().ok());
    TestClient c(server.bound_port());
    ASSERT_TRUE(c.send("NOT A REQUEST\x01\r\n\r\n"));
    const auto r = c.read_response();
    EXPECT_EQ(r.status, 400u) << r.error;
    EXPECT_NE(r.body.find("malformed HTTP request"), std::string::npos) << r.body;
}

TEST(HttpServer, SlowlorisClientIsCutOffWhileAnotherConnectionIsServed) {
    ServerOptions o = small_options();
    // Long enough that the normal clients below are never late themselves on a loaded
    // machine; the whole trickle takes at least 926 x 20 ms, far longer.
    o.header_timeout = std::chrono::milliseconds(2000);
    HttpServer server(o, echo_handler());
    ASSERT_TRUE(server.start().ok());

    TestClient slow(server.bound_port());
    // The first byte goes at once, so the cut is a slow request's (timed_out) and never an
    // idle connection's, however late the trickler thread gets to run.
    const std::string header = "POST /w HTTP/1.1\r\nX-Slow: " + std::string(900, 's');
    ASSERT_TRUE(slow.send(std::string_view(header).substr(0, 1)));
    std::atomic<bool> stop_trickle{false};
    std::atomic<bool> ran_out{false};  // the whole header was sent without a cut
    // One header byte at a time: a client that keeps sending must still be cut off, because
    // the header timeout runs from the start of the request, not from the last byte.
    std::thread trickler([&] {
        for (const char ch : std::string_view(header).substr(1)) {
            if (stop_trickle.load() || !slow.send(std::string_view(&ch, 1)))
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));  // pacing, not sync
        }
        ran_out.store(true);
    });

    TestClient normal(server.bound_port());
    const auto r = normal.request("POST", "/ok", "fine");
    EXPECT_EQ(r.status, 200u) << r.error;

    // Blocks until the server closes the slow connection; it never answers it.
    const std::string got = slow.read_until_closed();
    stop_trickle.store(true);
    trickler.join();
    EXPECT_FALSE(ran_out.load()) << "cut only after the client stopped sending";
    EXPECT_TRUE(slow.closed_by_peer());
    EXPECT_EQ(got, "");

    // And the server still serves new connections afterwards.
    TestClient after(server.bound_port());
    EXPECT_EQ(after.request("GET", "/again", "").status, 200u);

    // The client sees the close as soon as the sweep shuts the socket down, which can be
    // before the worker wakes from its read and counts the cut; stop() joins the workers.
    server.stop();
    EXPECT_EQ(server.counters().timed_out.load(), 1u);
}

TEST(HttpServer, HandlerThatNeverAnswersGetsTheServers503TimeoutAndALateAnswerIsDropped) {
    ServerOptions o = small_options();
    o.handler_deadline = std::chrono::milliseconds(50);
    std::mutex mu;
    std::vector<Respond> held;
    std::vector<std::string> refused;  // "status target", as on_refused heard them
    o.on_refused = [&](const Refusal& r) {
        std::lock_guard lk(mu);
        refused.push_back(std::to_string(r.status) + " " + std::string(r.target));
    };
    HttpServer server(o, [&](HttpRequest&&, Respond respond) {
        std::lock_guard lk(mu);
        held.push_back(std::move(respond));
    });
    ASSERT_TRUE(server.start().ok());
    TestClient c(server.bound_port());
    auto r = c.request("POST", "/slow", "x");
    EXPECT_EQ(r.status, 503u) << r.error;
    EXPECT_NE(r.body.find("\"error\":\"timeout\""), std::string::npos) << r.body;
    {
        std::lock_guard lk(mu);
        ASSERT_EQ(held.size(), 1u);
        HttpResponse late;
        late.body = "late";
        held[0](late);  // must not reach the client or disturb the next request
    }
    r = c.request("POST", "/slow", "y");
    EXPECT_EQ(r.status, 503u);
    EXPECT_EQ(server.counters().handler_timeouts.load(), 2u);
    // Each timeout is reported with the request it answered, for the audit.
    std::lock_guard lk(mu);
    EXPECT_EQ(refused, (std::vector<std::string>{"503 /slow", "503 /slow"}));
}

// Polls an observable condition until it holds (a deadline, not a sleep as synchronisation).
template <class Cond>
bool eventually(Cond cond) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        if (cond())
            return true;
        std::this_thread::yield();
    }
    return cond();
}

// A handler that answers every path at once but /hold, whose answers it keeps until release():
// a connection held there is in the middle of a request (not idle), observably so once
// wait_held(n) returns.
class HoldHandler {
  public:
    Handler handler() {
        return [this](HttpRequest&& req, Respond respond) {
            if (req.path() != "/hold") {
                HttpResponse res;
                res.body = "ok";
                respond(std::move(res));
                return;
            }
            std::lock_guard lk(mu_);
            held_.push_back(std::move(respond));
            cv_.notify_all();
        };
    }
    bool wait_held(std::size_t n) {
        std::unique_lock lk(mu_);
        return cv_.wait_for(lk, std::chrono::seconds(20), [&] { return held_.size() >= n; });
    }
    void release() {
        std::lock_guard lk(mu_);
        for (Respond& r : held_) {
            HttpResponse res;
            res.body = "released";
            r(std::move(res));
        }
        held_.clear();
    }

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Respond> held_;
};

// At max_connections, a kept-alive connection waiting idle for its next request gives way to a
// new one; only when every connection is in the middle of a request is the new one refused.
TEST(HttpServer, AtTheLimitAnIdleConnectionGivesWayAndOnlyBusyOnesGet503) {
    ServerOptions o = small_options();
    o.max_connections = 1;
    HoldHandler hold;
    HttpServer server(o, hold.handler());
    ASSERT_TRUE(server.start().ok());
    TestClient first(server.bound_port());
    ASSERT_EQ(first.request("GET", "/", "").status, 200u);  // kept alive, now idle
    // Idle once its worker waits for the next request (a moment after writing the answer).
    ASSERT_TRUE(eventually([&] { return server.waiting_connections() == 1; }));
    TestClient second(server.bound_port());
    EXPECT_EQ(second.request("GET", "/", "").status, 200u);  // first was closed for it
    first.read_until_closed();
    EXPECT_TRUE(first.closed_by_peer());
    EXPECT_EQ(server.counters().idle_evicted.load(), 1u);
    // second is in the middle of a request (its handler holds it): not idle, so a third is
    // refused.
    ASSERT_TRUE(second.send("GET /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
    ASSERT_TRUE(hold.wait_held(1));
    TestClient third(server.bound_port(), "127.0.0.2");  // another address: the server is full
    const auto r = third.read_response();
    EXPECT_EQ(r.status, 503u) << r.error;
    EXPECT_NE(r.body.find("\"error\":\"busy\""), std::string::npos);
    EXPECT_NE(r.body.find("max_connections 1"), std::string::npos) << r.body;
    hold.release();
    EXPECT_EQ(second.read_response().status, 200u);
}

// One address holding 500 idle connections (each opened and never used) cannot starve
// another: past its cap (32 by default) its idle connections give way to its own new ones,
// and alerts from another address keep getting 200.
TEST(HttpServer, FiveHundredIdleConnectionsFromOneAddressLeaveOthersServed) {
    HttpServer server(small_options(), echo_handler());
    ASSERT_TRUE(server.start().ok());
    std::vector<std::unique_ptr<TestClient>> idle;
    for (int i = 0; i < 500; ++i) {
        idle.push_back(std::make_unique<TestClient>(server.bound_port(), "127.0.0.2"));
        if (i % 50 == 49) {
            TestClient other(server.bound_port(), "127.0.0.1");
            const auto r = other.request("POST", "/webhook", "alert");
            EXPECT_EQ(r.status, 200u) << "after " << i + 1 << " idle connections: " << r.error;
        }
    }
    for (int i = 0; i < 10; ++i) {
        TestClient other(server.bound_port(), "127.0.0.1");
        EXPECT_EQ(other.request("POST", "/webhook", "alert").status, 200u);
    }
    // The one address never held more than its cap: the rest made room by closing its idle.
    EXPECT_GE(server.counters().idle_evicted.load() + server.counters().address_busy.load(),
              500u - 32u);
    EXPECT_EQ(server.counters().busy.load(), server.counters().address_busy.load());
}

// At its per-address cap with nothing idle, an address is refused with a 503 that says so,
// while another address is served.
TEST(HttpServer, AnAddressAtItsCapWithNothingIdleIsRefusedAndOthersAreNot) {
    ServerOptions o = small_options();
    o.max_connections_per_address = 2;
    HoldHandler hold;
    HttpServer server(o, hold.handler());
    ASSERT_TRUE(server.start().ok());
    TestClient a(server.bound_port(), "127.0.0.2");
    TestClient b(server.bound_port(), "127.0.0.2");
    const std::string held = "GET /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
    ASSERT_TRUE(a.send(held));  // both in the middle of a request: not idle
    ASSERT_TRUE(b.send(held));
    ASSERT_TRUE(hold.wait_held(2));
    TestClient c(server.bound_port(), "127.0.0.2");
    const auto r = c.read_response();
    EXPECT_EQ(r.status, 503u) << r.error;
    EXPECT_NE(r.body.find("too many connections from 127.0.0.2"), std::string::npos) << r.body;
    EXPECT_EQ(server.counters().address_busy.load(), 1u);
    TestClient other(server.bound_port(), "127.0.0.1");
    EXPECT_EQ(other.request("GET", "/", "").status, 200u);
    hold.release();
    EXPECT_EQ(a.read_response().status, 200u);
}

TEST(HttpServer, StopClosesAnIdleKeptAliveConnectionWithoutHanging) {
    HttpServer server(small_options(), echo_handler());
    ASSERT_TRUE(server.start().ok());
    TestClient c(server.bound_port());
    ASSERT_EQ(c.request("GET", "/", "").status, 200u);
    server.stop();
    c.read_until_closed();
    EXPECT_TRUE(c.closed_by_peer());
    server.stop();  // idempotent
}

TEST(HttpServer, StopLetsAnInFlightHandlerAnswer) {
    std::promise<Respond> got;
    HttpServer server(small_options(),
                      [&](HttpRequest&&, Respond respond) { got.set_value(std::move(respond)); });
    ASSERT_TRUE(server.start().ok());
    TestClient c(server.bound_port());
    ASSERT_TRUE(c.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nz"));
    Respond respond = got.get_future().get();  // the handler holds the request now
    std::thread stopper([&] { server.stop(); });
    HttpResponse res;
    res.body = "answered";
    respond(res);
    const auto r = c.read_response();
    stopper.join();
    EXPECT_EQ(r.status, 200u) << r.error;
    EXPECT_EQ(r.body, "answered");
}

TEST(HttpServer, BindFailuresComeBackAsValues) {
    HttpServer first(small_options(), echo_handler());
    ASSERT_TRUE(first.start().ok());
    ServerOptions o = small_options();
    o.port = first.bound_port();
    HttpServer second(o, echo_handler());
    const StartResult in_use = second.start();
    EXPECT_EQ(in_use.error, ServerError::address_in_use);
    EXPECT_NE(in_use.message.find(std::to_string(o.port)), std::string::npos) << in_use.message;

    ServerOptions bad = small_options();
    bad.host = "not-an-address";
    HttpServer third(bad, echo_handler());
    const StartResult r = third.start();
    EXPECT_EQ(r.error, ServerError::bad_address);
    EXPECT_NE(r.message.find("not-an-address"), std::string::npos);
}

}  // namespace
}  // namespace keel::adapters::http
