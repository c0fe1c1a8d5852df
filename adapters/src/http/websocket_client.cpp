#include "keel/adapters/http/websocket_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <algorithm>
#include <deque>

#include "keel/adapters/http/tls_client.hpp"
#include "keel/assert.hpp"

namespace keel::adapters::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;

// One connection, with the handlers it was opened with and what its operations read and
// write. The operations' handlers share it, so a connection the client has left (closed,
// reopened) stays alive until its last handler has run, and a handler that is running (say
// on_message calling close() and open()) is never destroyed under itself.
struct Socket {
    Socket(asio::io_context& io, asio::ssl::context& ctx, WssClient::Handlers h)
        : ws(io, ctx), handlers(std::move(h)) {}

    websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws;
    WssClient::Handlers handlers;
    beast::flat_buffer buffer;
    std::deque<std::string> outbox;  // front: the message being written
    Clock::time_point deadline;      // of the connect, handshakes included
};

std::string describe(const char* step, const error_code& ec) {
    return std::string(step) + ": " + (ec == beast::error::timeout ? "timed out" : ec.message());
}

}  // namespace

struct WssClient::State : std::enable_shared_from_this<State> {
    State(asio::io_context& context, Options opts)
        : io(context), options(std::move(opts)), ctx(make_client_tls_context(options.ca_file)) {}

    asio::io_context& io;
    Options options;
    asio::ssl::context ctx;
    tcp::resolver::results_type endpoints;  // empty until resolved; emptied by a failed connect
    std::shared_ptr<Socket> sock;           // the connection, while connecting or open
    bool open = false;                      // the upgrade is done

    // A handler's connection is no longer the client's (closed, failed, reopened).
    [[nodiscard]] bool stale(const std::shared_ptr<Socket>& s) const { return sock != s; }

    void start(Handlers handlers);
    void on_connect(const std::shared_ptr<Socket>& s, const error_code& ec);
    void on_tls(const std::shared_ptr<Socket>& s, const error_code& ec);
    void on_upgrade(const std::shared_ptr<Socket>& s, const error_code& ec);
    void read(const std::shared_ptr<Socket>& s);
    void on_read(const std::shared_ptr<Socket>& s, const error_code& ec);
    void write_front(const std::shared_ptr<Socket>& s);
    void fail(const std::shared_ptr<Socket>& s, std::string why);
    void fail_later(const std::shared_ptr<Socket>& s, std::string why);
    void drop();
};

void WssClient::State::start(Handlers handlers) {
    auto s = std::make_shared<Socket>(io, ctx, std::move(handlers));
    sock = s;
    s->deadline = Clock::now() + options.connect_timeout;
    if (!prepare_tls_stream(s->ws.next_layer(), options.host))
        return fail_later(s, "TLS: could not set the server name");
    if (endpoints.empty()) {
        // Synchronous on purpose: Asio's asynchronous resolver runs on a thread of its own, and
        // this happens only at the first open and after a failed connect.
        tcp::resolver resolver(io);
        error_code ec;
        endpoints = resolver.resolve(options.host, options.port, ec);
        if (ec) {
            endpoints = {};
            return fail_later(s, "resolve: " + ec.message());
        }
    }
    beast::tcp_stream& tcp_layer = beast::get_lowest_layer(s->ws);
    tcp_layer.expires_at(s->deadline);
    tcp_layer.async_connect(
        endpoints, [self = shared_from_this(), s](const error_code& ec, const tcp::endpoint&) {
            self->on_connect(s, ec);
        });
}

void WssClient::State::on_connect(const std::shared_ptr<Socket>& s, const error_code& ec) {
    if (stale(s))
        return;
    if (ec) {
        endpoints = {};  // the address may have changed: resolve again next time
        return fail(s, describe("connect", ec));
    }
    error_code ignored;
    beast::get_lowest_layer(s->ws).socket().set_option(tcp::no_delay(true), ignored);
    s->ws.next_layer().async_handshake(
        asio::ssl::stream_base::client,
        [self = shared_from_this(), s](const error_code& e) { self->on_tls(s, e); });
}

void WssClient::State::on_tls(const std::shared_ptr<Socket>& s, const error_code& ec) {
    if (stale(s))
        return;
    if (ec)
        return fail(s, describe("TLS handshake", ec));
    // From here the WebSocket stream keeps time itself; Beast requires the TCP layer's own
    // timer to be off then. The upgrade gets what is left of the connect deadline.
    beast::get_lowest_layer(s->ws).expires_never();
    websocket::stream_base::timeout t =
        websocket::stream_base::timeout::suggested(beast::role_type::client);
    t.handshake_timeout =
        std::max<Clock::duration>(s->deadline - Clock::now(), std::chrono::milliseconds(1));
    // Beast's client suggestion has no idle timeout (Boost 1.74): a peer that vanished without
    // a FIN would never be noticed. With pings, silence means a dead peer, not a quiet stream.
    t.idle_timeout = options.idle_timeout;
    t.keep_alive_pings = true;
    s->ws.set_option(t);
    s->ws.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& req) { req.set(beast::http::field::user_agent, "keel"); }));
    s->ws.read_message_max(options.max_message);
    s->ws.text(true);
    const std::string host =
        options.port == "443" ? options.host : options.host + ":" + options.port;
    s->ws.async_handshake(
        host, options.target,
        [self = shared_from_this(), s](const error_code& e) { self->on_upgrade(s, e); });
}

void WssClient::State::on_upgrade(const std::shared_ptr<Socket>& s, const error_code& ec) {
    if (stale(s))
        return;
    if (ec)
        return fail(s, describe("WebSocket handshake", ec));
    open = true;
    read(s);
    if (s->handlers.on_open)
        s->handlers.on_open();
}

void WssClient::State::read(const std::shared_ptr<Socket>& s) {
    s->ws.async_read(s->buffer, [self = shared_from_this(), s](const error_code& ec, std::size_t) {
        self->on_read(s, ec);
    });
}

void WssClient::State::on_read(const std::shared_ptr<Socket>& s, const error_code& ec) {
    if (stale(s))
        return;
    if (ec == websocket::error::closed) {
        const websocket::close_reason& r = s->ws.reason();
        return fail(
            s, "closed by the server (code " + std::to_string(r.code) +
                   (r.reason.empty() ? "" : ", " + std::string(r.reason.data(), r.reason.size())) +
                   ")");
    }
    if (ec)
        return fail(s, describe("read", ec));
    const auto data = s->buffer.cdata();
    const std::string_view payload(static_cast<const char*>(data.data()), data.size());
    if (s->handlers.on_message)
        s->handlers.on_message(payload, !s->ws.got_text());
    // The handler may have closed or reopened the client; then this connection reads no more.
    if (stale(s))
        return;
    s->buffer.consume(s->buffer.size());
    read(s);
}

void WssClient::State::write_front(const std::shared_ptr<Socket>& s) {
    s->ws.async_write(asio::buffer(s->outbox.front()),
                      [self = shared_from_this(), s](const error_code& ec, std::size_t) {
                          if (self->stale(s))
                              return;
                          if (ec)
                              return self->fail(s, describe("write", ec));
                          s->outbox.pop_front();
                          if (!s->outbox.empty())
                              self->write_front(s);
                      });
}

void WssClient::State::fail(const std::shared_ptr<Socket>& s, std::string why) {
    drop();
    if (s->handlers.on_close)
        s->handlers.on_close(std::move(why));
}

void WssClient::State::fail_later(const std::shared_ptr<Socket>& s, std::string why) {
    // Posted, not called: this happens inside open(), and no handler runs there.
    asio::post(io, [self = shared_from_this(), s, why = std::move(why)]() mutable {
        if (!self->stale(s))
            self->fail(s, std::move(why));
    });
}

void WssClient::State::drop() {
    if (sock) {
        beast::get_lowest_layer(sock->ws).close();
        sock.reset();
    }
    open = false;
}

WssClient::WssClient(boost::asio::io_context& io, Options options)
    : state_(std::make_shared<State>(io, std::move(options))) {}

WssClient::~WssClient() {
    state_->drop();
}

void WssClient::open(Handlers handlers) {
    KEEL_ASSERT(state_->sock == nullptr, "WssClient::open: already open or opening");
    state_->start(std::move(handlers));
}

bool WssClient::send(std::string text) {
    State& st = *state_;
    if (!st.open || st.sock->outbox.size() >= kMaxQueued)
        return false;
    st.sock->outbox.push_back(std::move(text));
    if (st.sock->outbox.size() == 1)
        st.write_front(st.sock);
    return true;
}

void WssClient::close() {
    state_->drop();
}

bool WssClient::is_open() const noexcept {
    return state_->open;
}

bool WssClient::is_closed() const noexcept {
    return state_->sock == nullptr;
}

}  // namespace keel::adapters::http
