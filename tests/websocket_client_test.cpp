// http::WssClient against a loopback WebSocket-over-TLS server on its own threads: the upgrade
// reaches the configured target and on_open follows; text and binary frames are both
// delivered, flagged as such; what the client sends reaches the server in order; the server's
// close is reported through on_close with its code and reason, and the client opens again
// (from inside on_close); an untrusted certificate ends in on_close without on_open; a peer
// that goes silent (no pong) is dropped after the idle timeout; the caller's own close() runs
// no handler.
#include <utility>  // Boost 1.74's Asio needs std::exchange declared first

#include "keel/adapters/http/websocket_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "tls_test_server.hpp"

namespace keel::adapters::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using test::drive;
using test::TlsTestServer;
using ServerStream = websocket::stream<beast::ssl_stream<tcp::socket>>;

// A WebSocket server whose every connection runs the test's script after the upgrade; it
// records the upgrade targets and what the scripts read.
class TestWssServer {
  public:
    using Script = std::function<void(ServerStream& ws, int index, TestWssServer& server)>;

    explicit TestWssServer(Script script)
        : script_(std::move(script)),
          server_([this](tcp::socket s, asio::ssl::context& ctx, int index) {
              serve(std::move(s), ctx, index);
          }) {}

    TlsTestServer& tls() { return server_; }
    void note(std::string what) {
        const std::lock_guard lock(mutex_);
        notes_.push_back(std::move(what));
    }
    std::vector<std::string> notes() {
        const std::lock_guard lock(mutex_);
        return notes_;
    }
    // Reads until the client goes away, noting each text read and, at the end, "gone".
    void read_until_gone(ServerStream& ws) {
        for (;;) {
            beast::flat_buffer buffer;
            beast::error_code ec;
            ws.read(buffer, ec);
            if (ec) {
                note("gone");
                return;
            }
            note(beast::buffers_to_string(buffer.cdata()));
        }
    }

  private:
    void serve(tcp::socket socket, asio::ssl::context& ctx, int index) {
        ServerStream ws(std::move(socket), ctx);
        ws.next_layer().handshake(asio::ssl::stream_base::server);
        beast::flat_buffer buffer;
        beast::http::request<beast::http::string_body> upgrade;
        beast::http::read(ws.next_layer(), buffer, upgrade);
        note("target " + std::string(upgrade.target()));
        ws.accept(upgrade);
        script_(ws, index, *this);
    }

    Script script_;
    std::mutex mutex_;
    std::vector<std::string> notes_;
    TlsTestServer server_;  // last: its threads use the members above
};

WssClient::Options options(const std::string& port) {
    WssClient::Options o;
    o.host = "127.0.0.1";
    o.port = port;
    o.target = "/stream";
    o.ca_file = test::tls_test_file("localhost.crt");
    return o;
}

// What the handlers saw.
struct Seen {
    int opens = 0;
    std::vector<std::pair<std::string, bool>> messages;  // payload, binary
    std::vector<std::string> closes;

    WssClient::Handlers handlers() {
        return {[this] { ++opens; },
                [this](std::string_view payload, bool binary) {
                    messages.emplace_back(std::string(payload), binary);
                },
                [this](std::string why) { closes.push_back(std::move(why)); }};
    }
};

// A failed write (the client already gone) is not the server's to report: the tests check
// what the client saw.
void write(ServerStream& ws, const std::string& text, bool binary) {
    ws.binary(binary);
    beast::error_code ignored;
    ws.write(asio::buffer(text), ignored);
}

TEST(WssClient, OpensAndDeliversTextAndBinaryFrames) {
    TestWssServer server([](ServerStream& ws, int, TestWssServer& s) {
        write(ws, R"({"stream":"authorization"})", false);
        write(ws, R"({"stream":"trade_updates"})", true);
        s.read_until_gone(ws);
    });
    asio::io_context io;
    WssClient client(io, options(server.tls().port()));
    Seen seen;
    EXPECT_TRUE(client.is_closed());
    client.open(seen.handlers());
    EXPECT_FALSE(client.is_closed());
    ASSERT_TRUE(drive(io, [&] { return seen.messages.size() == 2; }));
    EXPECT_EQ(seen.opens, 1);
    EXPECT_TRUE(client.is_open());
    EXPECT_EQ(seen.messages[0],
              std::make_pair(std::string(R"({"stream":"authorization"})"), false));
    EXPECT_EQ(seen.messages[1], std::make_pair(std::string(R"({"stream":"trade_updates"})"), true));
    EXPECT_TRUE(seen.closes.empty());
    EXPECT_EQ(server.notes().at(0), "target /stream");
}

TEST(WssClient, WhatIsSentReachesTheServerInOrder) {
    TestWssServer server([](ServerStream& ws, int, TestWssServer& s) {
        for (int i = 0; i < 2; ++i) {
            beast::flat_buffer buffer;
            ws.read(buffer);
            const std::string text = beast::buffers_to_string(buffer.cdata());
            s.note(text);
            write(ws, "got " + text, false);
        }
        s.read_until_gone(ws);
    });
    asio::io_context io;
    WssClient client(io, options(server.tls().port()));
    EXPECT_FALSE(client.send("too early"));  // not open: nothing is queued
    Seen seen;
    WssClient::Handlers h = seen.handlers();
    h.on_open = [&] {
        ++seen.opens;
        EXPECT_TRUE(client.send(R"({"action":"auth","key":"K","secret":"S"})"));
        EXPECT_TRUE(client.send(R"({"action":"listen","data":{"streams":["trade_updates"]}})"));
    };
    client.open(std::move(h));
    ASSERT_TRUE(drive(io, [&] { return seen.messages.size() == 2; }));
    EXPECT_EQ(seen.messages[0].first, R"(got {"action":"auth","key":"K","secret":"S"})");
    EXPECT_EQ(seen.messages[1].first,
              R"(got {"action":"listen","data":{"streams":["trade_updates"]}})");
    const std::vector<std::string> notes = server.notes();
    ASSERT_GE(notes.size(), 3u);
    EXPECT_EQ(notes[1], R"({"action":"auth","key":"K","secret":"S"})");
    EXPECT_EQ(notes[2], R"({"action":"listen","data":{"streams":["trade_updates"]}})");
}

TEST(WssClient, TheServersCloseIsReportedAndTheClientOpensAgain) {
    TestWssServer server([](ServerStream& ws, int index, TestWssServer& s) {
        if (index == 1) {
            ws.close({websocket::close_code::going_away, "bye"});
        } else {
            write(ws, "second connection", true);
        }
        s.read_until_gone(ws);
    });
    asio::io_context io;
    WssClient client(io, options(server.tls().port()));
    Seen seen;
    WssClient::Handlers h = seen.handlers();
    h.on_close = [&](std::string why) {
        seen.closes.push_back(std::move(why));
        EXPECT_FALSE(client.is_open());
        EXPECT_TRUE(client.is_closed());
        client.open(seen.handlers());  // reconnecting from inside on_close
    };
    client.open(std::move(h));
    ASSERT_TRUE(drive(io, [&] { return seen.messages.size() == 1; }));
    ASSERT_EQ(seen.closes.size(), 1u);
    EXPECT_NE(seen.closes[0].find("closed by the server"), std::string::npos) << seen.closes[0];
    EXPECT_NE(seen.closes[0].find("1001"), std::string::npos) << seen.closes[0];
    EXPECT_NE(seen.closes[0].find("bye"), std::string::npos) << seen.closes[0];
    EXPECT_EQ(seen.opens, 2);
    EXPECT_EQ(seen.messages[0], std::make_pair(std::string("second connection"), true));
    EXPECT_EQ(server.tls().accepted(), 2);
}

TEST(WssClient, AnUntrustedCertificateEndsInOnCloseWithoutOnOpen) {
    TestWssServer server([](ServerStream& ws, int, TestWssServer& s) { s.read_until_gone(ws); });
    asio::io_context io;
    WssClient::Options o = options(server.tls().port());
    o.ca_file.clear();  // the system store, which does not hold the self-signed test cert
    WssClient client(io, o);
    Seen seen;
    client.open(seen.handlers());
    EXPECT_TRUE(seen.closes.empty());  // never inside open()
    ASSERT_TRUE(drive(io, [&] { return seen.closes.size() == 1; }));
    EXPECT_NE(seen.closes[0].find("TLS handshake"), std::string::npos) << seen.closes[0];
    EXPECT_EQ(seen.opens, 0);
    EXPECT_TRUE(client.is_closed());
}

TEST(WssClient, ASilentPeerIsDroppedAfterTheIdleTimeout) {
    // The server stops reading after the upgrade, so the client's pings are never answered.
    TestWssServer server([](ServerStream&, int, TestWssServer& s) { s.tls().wait_release(); });
    asio::io_context io;
    WssClient::Options o = options(server.tls().port());
    o.idle_timeout = std::chrono::milliseconds(300);
    WssClient client(io, o);
    Seen seen;
    client.open(seen.handlers());
    ASSERT_TRUE(drive(io, [&] { return seen.closes.size() == 1; }));
    EXPECT_EQ(seen.opens, 1);
    EXPECT_NE(seen.closes[0].find("timed out"), std::string::npos) << seen.closes[0];
    EXPECT_TRUE(client.is_closed());
}

TEST(WssClient, TheCallersOwnCloseRunsNoHandler) {
    TestWssServer server([](ServerStream& ws, int, TestWssServer& s) {
        write(ws, "hello", false);
        s.read_until_gone(ws);
    });
    asio::io_context io;
    WssClient client(io, options(server.tls().port()));
    Seen seen;
    WssClient::Handlers h = seen.handlers();
    h.on_open = [&] {
        ++seen.opens;
        client.close();
    };
    client.open(std::move(h));
    auto gone = [&] {
        const std::vector<std::string> notes = server.notes();
        return !notes.empty() && notes.back() == "gone";
    };
    ASSERT_TRUE(drive(io, gone));
    // Whatever the old connection still had queued runs nothing now.
    io.restart();
    io.poll();
    EXPECT_EQ(seen.opens, 1);
    EXPECT_TRUE(seen.messages.empty());
    EXPECT_TRUE(seen.closes.empty());
    EXPECT_TRUE(client.is_closed());
    EXPECT_FALSE(client.send("after close"));
}

}  // namespace
}  // namespace keel::adapters::http
