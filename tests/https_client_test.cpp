// http::HttpsClient against a loopback TLS server on its own threads: GET and POST round trips
// carry the body and every configured header; two requests share one kept-alive connection; a
// hung answer times out (written) and the lane's next request goes out on a new connection, so
// the late answer is never read as its own; a hung lane does not hold up another; an answer
// with `Connection: close` makes the next request reconnect; the certificate is verified (an
// untrusted one, and one that does not name the host, are refused); X-Ratelimit-* headers are
// parsed; an oversized answer is an error; close() fails what is queued; no error text ever
// holds a header value (the API keys).
#include <utility>  // Boost 1.74's Asio needs std::exchange declared first

#include "keel/adapters/http/https_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <cctype>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "keel/adapters/http/tls_client.hpp"
#include "tls_test_server.hpp"

namespace keel::adapters::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using test::drive;
using test::TlsTestServer;
using Response = HttpsClient::Response;

constexpr const char* kKeyId = "PKTESTKEYID0123456789";
constexpr const char* kSecret = "s3cr3t-alpaca-secret-value-xyz";

// What the server saw of one request.
struct Seen {
    int connection = 0;
    std::string method;
    std::string target;
    std::string body;
    std::map<std::string, std::string> headers;  // names lower-cased
};

// How the server answers one request.
struct Answer {
    unsigned status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    bool hang = false;   // answer nothing until released, then write `late`
    bool close = false;  // `Connection: close`, then close
    std::string late;
};

// An HTTPS server whose answers a route function chooses; it records every request and
// whether a hung connection was then closed by the client.
class TestHttpsServer {
  public:
    using Route = std::function<Answer(const Seen&)>;

    explicit TestHttpsServer(Route route, const char* address = "127.0.0.1")
        : route_(std::move(route)),
          server_([this](tcp::socket s, asio::ssl::context& ctx,
                         int index) { serve(std::move(s), ctx, index); },
                  address) {}

    TlsTestServer& tls() { return server_; }
    std::vector<Seen> seen() {
        const std::lock_guard lock(mutex_);
        return seen_;
    }
    bool hung_closed_by_client() {
        const std::lock_guard lock(mutex_);
        return hung_closed_;
    }

  private:
    void serve(tcp::socket socket, asio::ssl::context& ctx, int index) {
        beast::ssl_stream<tcp::socket> stream(std::move(socket), ctx);
        stream.handshake(asio::ssl::stream_base::server);
        beast::flat_buffer buffer;
        for (;;) {
            bhttp::request<bhttp::string_body> req;
            beast::error_code ec;
            bhttp::read(stream, buffer, req, ec);
            if (ec)
                return;
            const Answer a = route_(record(req, index));
            if (a.hang)
                return hang(stream, buffer, a);
            bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(a.status), 11};
            for (const auto& [name, value] : a.headers)
                res.set(name, value);
            res.body() = a.body;
            res.keep_alive(!a.close);
            res.prepare_payload();
            bhttp::write(stream, res);
            if (a.close)
                return;
        }
    }

    Seen record(const bhttp::request<bhttp::string_body>& req, int index) {
        Seen s;
        s.connection = index;
        s.method = std::string(req.method_string());
        s.target = std::string(req.target());
        s.body = req.body();
        for (const auto& field : req) {
            std::string name(field.name_string());
            for (char& ch : name)
                ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            s.headers[name] = std::string(field.value());
        }
        const std::lock_guard lock(mutex_);
        seen_.push_back(s);
        return s;
    }

    // Holds the request unanswered until released, then writes a late answer and sees whether
    // the client had closed the connection (a read that fails rather than waits).
    void hang(beast::ssl_stream<tcp::socket>& stream, beast::flat_buffer& buffer, const Answer& a) {
        server_.wait_release();
        bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
        res.body() = a.late;
        res.prepare_payload();
        beast::error_code ec;
        bhttp::write(stream, res, ec);
        bhttp::request<bhttp::string_body> next;
        bhttp::read(stream, buffer, next, ec);
        const std::lock_guard lock(mutex_);
        hung_closed_ = ec && ec != beast::error::timeout && ec != asio::error::would_block;
    }

    Route route_;
    std::mutex mutex_;
    std::vector<Seen> seen_;
    bool hung_closed_ = false;
    TlsTestServer server_;  // last: its threads use the members above
};

HttpsClient::Options options(const std::string& port, const std::string& host = "127.0.0.1") {
    HttpsClient::Options o;
    o.host = host;
    o.port = port;
    o.ca_file = test::tls_test_file("localhost.crt");
    o.headers = {{"APCA-API-KEY-ID", kKeyId}, {"APCA-API-SECRET-KEY", kSecret}};
    return o;
}

// Collects the callbacks' responses.
struct Results {
    std::vector<Response> responses;
    HttpsClient::Callback add() {
        return [this](Response&& r) { responses.push_back(std::move(r)); };
    }
    [[nodiscard]] std::size_t size() const { return responses.size(); }
};

void expect_no_key_in(const Response& r) {
    EXPECT_EQ(r.error.find(kKeyId), std::string::npos) << r.error;
    EXPECT_EQ(r.error.find(kSecret), std::string::npos) << r.error;
}

Answer echo(const Seen& s) {
    Answer a;
    a.body = s.method + " " + s.target + " " + s.body;
    return a;
}

TEST(HttpsClient, GetAndPostRoundTripCarryBodyAndHeaders) {
    TestHttpsServer server(echo);
    asio::io_context io;
    HttpsClient client(io, options(server.tls().port()));
    Results got;
    client.request(0, bhttp::verb::get, "/v2/account", "", got.add());
    client.request(0, bhttp::verb::post, "/v2/orders", R"({"symbol":"AAPL","qty":"10"})",
                   got.add());
    ASSERT_TRUE(drive(io, [&] { return got.size() == 2; }));
    EXPECT_EQ(got.responses[0].status, 200u);
    EXPECT_EQ(got.responses[0].body, "GET /v2/account ");
    EXPECT_EQ(got.responses[1].status, 200u);
    EXPECT_EQ(got.responses[1].body, R"(POST /v2/orders {"symbol":"AAPL","qty":"10"})");
    EXPECT_TRUE(got.responses[1].written);
    EXPECT_TRUE(got.responses[1].error.empty());

    const std::vector<Seen> seen = server.seen();
    ASSERT_EQ(seen.size(), 2u);
    for (const Seen& s : seen) {
        EXPECT_EQ(s.headers.at("apca-api-key-id"), kKeyId);
        EXPECT_EQ(s.headers.at("apca-api-secret-key"), kSecret);
        EXPECT_EQ(s.headers.at("user-agent"), "keel");
        EXPECT_EQ(s.headers.at("host"), "127.0.0.1:" + server.tls().port());
    }
    EXPECT_EQ(seen[0].headers.count("content-type"), 0u);
    EXPECT_EQ(seen[1].headers.at("content-type"), "application/json");
    EXPECT_EQ(seen[1].body, R"({"symbol":"AAPL","qty":"10"})");
}

TEST(HttpsClient, TwoRequestsShareOneKeptAliveConnection) {
    TestHttpsServer server(echo);
    asio::io_context io;
    // By name: the certificate's DNS name is verified too (the other tests use its IP).
    HttpsClient client(io, options(server.tls().port(), "localhost"));
    Results got;
    client.request(0, bhttp::verb::get, "/one", "", got.add());
    ASSERT_TRUE(drive(io, [&] { return got.size() == 1; }));
    client.request(0, bhttp::verb::get, "/two", "", got.add());
    ASSERT_TRUE(drive(io, [&] { return got.size() == 2; }));
    EXPECT_EQ(got.responses[0].status, 200u) << got.responses[0].error;
    EXPECT_EQ(got.responses[1].body, "GET /two ");
    EXPECT_EQ(server.tls().accepted(), 1);
    EXPECT_EQ(client.connects(), 1u);
    const std::vector<Seen> seen = server.seen();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].connection, seen[1].connection);
}

TEST(HttpsClient, HungAnswerTimesOutAndTheNextRequestUsesANewConnection) {
    TestHttpsServer server([](const Seen& s) {
        Answer a = echo(s);
        if (s.target == "/hang") {
            a.hang = true;
            a.late = "late answer to /hang";
        }
        return a;
    });
    asio::io_context io;
    HttpsClient::Options o = options(server.tls().port());
    // Long enough for a loaded machine to connect and answer the second request in time, which
    // must not time out; the hung one waits it out once.
    o.timeout = std::chrono::seconds(2);
    HttpsClient client(io, o);
    Results got;
    client.request(0, bhttp::verb::post, "/hang", R"({"n":1})", got.add());
    ASSERT_TRUE(drive(io, [&] { return got.size() == 1; }));
    const Response& hung = got.responses[0];
    EXPECT_EQ(hung.status, 0u);
    EXPECT_TRUE(hung.timed_out);
    EXPECT_TRUE(hung.written);
    EXPECT_FALSE(hung.error.empty());
    expect_no_key_in(hung);

    client.request(0, bhttp::verb::get, "/second", "", got.add());
    // The hung connection now gets its late answer: a client that kept it would read that
    // answer as the second request's.
    server.tls().release();
    ASSERT_TRUE(drive(io, [&] { return got.size() == 2; }));
    EXPECT_EQ(got.responses[1].status, 200u) << got.responses[1].error;
    EXPECT_EQ(got.responses[1].body, "GET /second ");
    EXPECT_EQ(server.tls().accepted(), 2);
    const std::vector<Seen> seen = server.seen();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_NE(seen[0].connection, seen[1].connection);
    client.close();  // the server's threads end when their connections do
    server.tls().stop();
    EXPECT_TRUE(server.hung_closed_by_client());
}

TEST(HttpsClient, AHungLaneDoesNotHoldUpAnother) {
    TestHttpsServer server([](const Seen& s) {
        Answer a = echo(s);
        a.hang = s.target == "/hang";
        return a;
    });
    asio::io_context io;
    HttpsClient client(io, options(server.tls().port()));
    Results lane0, lane1;
    client.request(0, bhttp::verb::post, "/hang", "{}", lane0.add());
    client.request(1, bhttp::verb::delete_, "/v2/orders/abc", "", lane1.add());
    ASSERT_TRUE(drive(io, [&] { return lane1.size() == 1; }));
    EXPECT_EQ(lane1.responses[0].status, 200u) << lane1.responses[0].error;
    EXPECT_EQ(lane1.responses[0].body, "DELETE /v2/orders/abc ");
    EXPECT_EQ(lane0.size(), 0u);
    EXPECT_EQ(client.queued(0), 1u);
    EXPECT_EQ(client.queued(1), 0u);

    // Wait for the server to hold the hung request, so close() finds it written.
    ASSERT_TRUE(drive(io, [&] { return server.seen().size() == 2; }));
    client.request(0, bhttp::verb::get, "/behind", "", lane0.add());
    EXPECT_EQ(client.queued(0), 2u);
    client.close();  // callbacks run inside close()
    ASSERT_EQ(lane0.size(), 2u);
    EXPECT_EQ(lane0.responses[0].error, "closed");
    EXPECT_TRUE(lane0.responses[0].written);
    EXPECT_EQ(lane0.responses[1].error, "closed");
    EXPECT_FALSE(lane0.responses[1].written);
    EXPECT_EQ(client.queued(0), 0u);
}

TEST(HttpsClient, ConnectionCloseAnswerMakesTheNextRequestReconnect) {
    TestHttpsServer server([](const Seen& s) {
        Answer a = echo(s);
        a.close = s.target == "/first";
        return a;
    });
    asio::io_context io;
    HttpsClient client(io, options(server.tls().port()));
    Results got;
    client.request(0, bhttp::verb::get, "/first", "", got.add());
    ASSERT_TRUE(drive(io, [&] { return got.size() == 1; }));
    client.request(0, bhttp::verb::get, "/second", "", got.add());
    ASSERT_TRUE(drive(io, [&] { return got.size() == 2; }));
    EXPECT_EQ(got.responses[0].status, 200u) << got.responses[0].error;
    EXPECT_EQ(got.responses[1].status, 200u) << got.responses[1].error;
    EXPECT_EQ(got.responses[1].body, "GET /second ");
    EXPECT_EQ(server.tls().accepted(), 2);
    EXPECT_EQ(client.connects(), 2u);
}

TEST(HttpsClient, WithoutTheCaFileTheTestCertificateIsRefused) {
    TestHttpsServer server(echo);
    asio::io_context io;
    HttpsClient::Options o = options(server.tls().port());
    o.ca_file.clear();  // the system store, which does not hold the self-signed test cert
    HttpsClient client(io, o);
    Results got;
    client.request(0, bhttp::verb::post, "/v2/orders", "{}", got.add());
    ASSERT_TRUE(drive(io, [&] { return got.size() == 1; }));
    const Response& r = got.responses[0];
    EXPECT_EQ(r.status, 0u);
    EXPECT_FALSE(r.written);
    EXPECT_NE(r.error.find("TLS handshake"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("certificate verify failed"), std::string::npos) << r.error;
    EXPECT_TRUE(server.seen().empty());
    expect_no_key_in(r);
}

TEST(HttpsClient, ACertificateThatDoesNotNameTheHostIsRefused) {
    // The certificate names localhost and 127.0.0.1; 127.0.0.2 is this host too, unnamed.
    TestHttpsServer server(echo, "127.0.0.2");
    asio::io_context io;
    HttpsClient client(io, options(server.tls().port(), "127.0.0.2"));
    Results got;
    client.request(0, bhttp::verb::get, "/v2/account", "", got.add());
    ASSERT_TRUE(drive(io, [&] { return got.size() == 1; }));
    const Response& r = got.responses[0];
    EXPECT_EQ(r.status, 0u);
    EXPECT_FALSE(r.written);
    EXPECT_NE(r.error.find("TLS handshake"), std::string::npos) << r.error;
    EXPECT_TRUE(server.seen().empty());
}

TEST(HttpsClient, RateLimitHeadersAreParsed) {
    TestHttpsServer server([](const Seen& s) {
        Answer a = echo(s);
        if (s.target == "/limited") {
            a.status = 429;
            a.headers = {{"X-Ratelimit-Limit", "200"},
                         {"X-Ratelimit-Remaining", "0"},
                         {"X-Ratelimit-Reset", "1796657400"},
                         {"Retry-After", "3"}};
        } else {
            a.headers = {{"X-RateLimit-Limit", "200"}, {"X-Ratelimit-Remaining", "12x"}};
        }
        return a;
    });
    asio::io_context io;
    HttpsClient client(io, options(server.tls().port()));
    Results got;
    client.request(0, bhttp::verb::get, "/limited", "", got.add());
    client.request(0, bhttp::verb::get, "/other", "", got.add());
    ASSERT_TRUE(drive(io, [&] { return got.size() == 2; }));
    const Response& limited = got.responses[0];
    EXPECT_EQ(limited.status, 429u);
    EXPECT_EQ(limited.ratelimit_limit, 200);
    EXPECT_EQ(limited.ratelimit_remaining, 0);
    EXPECT_EQ(limited.ratelimit_reset, 1796657400);
    EXPECT_EQ(limited.retry_after, "3");
    const Response& other = got.responses[1];
    EXPECT_EQ(other.ratelimit_limit, 200);                // header names are case-insensitive
    EXPECT_FALSE(other.ratelimit_remaining.has_value());  // not a number
    EXPECT_FALSE(other.ratelimit_reset.has_value());      // absent
    EXPECT_TRUE(other.retry_after.empty());
}

TEST(HttpsClient, AnAnswerOverTheBodyLimitIsAnError) {
    TestHttpsServer server([](const Seen&) {
        Answer a;
        a.body = std::string(100, 'x');
        return a;
    });
    asio::io_context io;
    HttpsClient::Options o = options(server.tls().port());
    o.body_limit = 16;
    HttpsClient client(io, o);
    Results got;
    client.request(0, bhttp::verb::get, "/v2/positions", "", got.add());
    ASSERT_TRUE(drive(io, [&] { return got.size() == 1; }));
    EXPECT_EQ(got.responses[0].status, 0u);
    EXPECT_TRUE(got.responses[0].written);
    EXPECT_NE(got.responses[0].error.find("read"), std::string::npos) << got.responses[0].error;
}

TEST(HttpsClient, ErrorTextsNeverHoldAHeaderValue) {
    TestHttpsServer server([](const Seen& s) {
        Answer a = echo(s);
        a.hang = s.target == "/hang";
        return a;
    });
    asio::io_context io;
    Results got;
    {
        HttpsClient::Options o = options(server.tls().port());
        o.timeout = std::chrono::milliseconds(200);
        HttpsClient client(io, o);
        client.request(0, bhttp::verb::post, "/hang", kSecret, got.add());  // timed out
        ASSERT_TRUE(drive(io, [&] { return got.size() == 1; }));
        o.ca_file.clear();
        HttpsClient untrusting(io, o);
        untrusting.request(0, bhttp::verb::get, "/x", "", got.add());  // verification
        ASSERT_TRUE(drive(io, [&] { return got.size() == 2; }));
    }
    // Nothing listens on a port just released: connection refused.
    std::string closed_port;
    {
        asio::io_context probe;
        tcp::acceptor a(probe, {asio::ip::make_address("127.0.0.1"), 0});
        closed_port = std::to_string(a.local_endpoint().port());
    }
    HttpsClient refused(io, options(closed_port));
    refused.request(0, bhttp::verb::get, "/x", "", got.add());
    EXPECT_EQ(got.size(), 2u);  // never called inside request()
    ASSERT_TRUE(drive(io, [&] { return got.size() == 3; }));
    EXPECT_FALSE(got.responses[2].written);
    EXPECT_NE(got.responses[2].error.find("connect"), std::string::npos) << got.responses[2].error;
    for (const Response& r : got.responses) {
        EXPECT_EQ(r.status, 0u);
        EXPECT_FALSE(r.error.empty());
        expect_no_key_in(r);
    }
}

TEST(HttpsClient, AMissingCaFileIsRefusedAtStartNamingIt) {
    asio::io_context io;
    HttpsClient::Options o = options("443");
    o.ca_file = "/nonexistent/keel-test-ca.crt";
    try {
        HttpsClient client(io, o);
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/keel-test-ca.crt"), std::string::npos)
            << e.what();
    }
    // A file that is there but holds no certificate is refused the same way.
    EXPECT_THROW((void)make_client_tls_context(test::tls_test_file("README.md")),
                 std::runtime_error);
}

}  // namespace
}  // namespace keel::adapters::http
