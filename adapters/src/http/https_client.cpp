#include "keel/adapters/http/https_client.hpp"

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <cerrno>
#include <charconv>
#include <deque>

#include "keel/adapters/http/tls_client.hpp"
#include "keel/assert.hpp"

namespace keel::adapters::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;
using Response = HttpsClient::Response;

// A numeric header's value; nullopt when absent or not a whole decimal number.
std::optional<std::int64_t> header_int(const bhttp::fields& fields, beast::string_view name) {
    const auto it = fields.find(name);
    if (it == fields.end())
        return std::nullopt;
    const beast::string_view v = it->value();
    std::int64_t out = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc{} || end != v.data() + v.size())
        return std::nullopt;
    return out;
}

// One connection and the buffers its operations use. The handlers of those operations share
// it (each captures the lane's shared_ptr, `conn`), so a connection the lane has abandoned
// (failed, timed out, closed) stays alive until its last handler has run or been destroyed
// with the io_context, and a new connection never shares a buffer with an old one.
struct Connection {
    Connection(asio::io_context& io, asio::ssl::context& ctx) : stream(io, ctx) {}

    beast::ssl_stream<beast::tcp_stream> stream;
    beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> request;
    std::optional<bhttp::response_parser<bhttp::string_body>> parser;
    bool ready = false;  // handshake done, and the last answer allowed keep-alive

    // Closes the socket at once (no close_notify: nothing more is read from this connection,
    // so waiting for the server's side of a TLS shutdown would only add a way to hang).
    void close() { beast::get_lowest_layer(stream).close(); }

    // An idle connection may be reused only if nothing at all is waiting to be read on it:
    // end of stream (the server closed it while idle), a TLS alert, or stray bytes all mean it
    // is no longer a clean keep-alive connection, and a request written to it could be lost
    // after the write succeeded (in doubt for nothing).
    [[nodiscard]] bool idle_usable() {
        auto& socket = beast::get_lowest_layer(stream).socket();
        if (!ready || buffer.size() != 0 || !socket.is_open())
            return false;
        char byte = 0;
        const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
};

struct Pending {
    bhttp::verb verb;
    std::string target;
    std::string body;
    HttpsClient::Callback done;
};

struct Lane {
    std::deque<Pending> waiting;
    std::optional<Pending> current;  // the request in flight
    std::shared_ptr<Connection> conn;
    Response response;  // the current request's, as it is learned
    // Its write has started: close() cannot know whether the bytes have left by then (the
    // completion may be waiting for the next poll), so it reports such a request as written.
    bool write_started = false;
    Clock::time_point started;
    // Numbers the lane's requests. A handler carries the number of the request it serves and
    // does nothing when that is no longer the one in flight (closed, failed, timed out).
    std::uint64_t serial = 0;
};

std::string host_header(const HttpsClient::Options& o) {
    const std::string host = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
    return o.port == "443" ? host : host + ":" + o.port;
}

}  // namespace

struct HttpsClient::State : std::enable_shared_from_this<State> {
    State(asio::io_context& context, Options opts)
        : io(context),
          options(std::move(opts)),
          ctx(make_client_tls_context(options.ca_file)),
          host(host_header(options)),
          lanes(options.lanes) {}

    asio::io_context& io;
    Options options;
    asio::ssl::context ctx;
    std::string host;  // the Host header
    std::vector<Lane> lanes;
    tcp::resolver::results_type endpoints;  // empty until resolved; emptied by a failed connect
    std::uint64_t connects = 0;
    bool destroyed = false;  // the client is gone: posted callbacks are dropped

    [[nodiscard]] bool stale(std::size_t i, std::uint64_t serial) const {
        return destroyed || !lanes[i].current || lanes[i].serial != serial;
    }

    void start_next(std::size_t i);
    void connect(std::size_t i, Clock::time_point deadline);
    void on_connect(std::size_t i, std::uint64_t serial, const error_code& ec);
    void on_handshake(std::size_t i, std::uint64_t serial, const error_code& ec);
    void write(std::size_t i);
    void on_write(std::size_t i, std::uint64_t serial, const error_code& ec);
    void on_header(std::size_t i, std::uint64_t serial, const error_code& ec);
    void on_read(std::size_t i, std::uint64_t serial, const error_code& ec);
    void fail(std::size_t i, const char* step, const error_code& ec);
    void fail_later(std::size_t i, std::string why);
    void finish(std::size_t i);

    static void drop_connection(Lane& lane) {
        if (lane.conn) {
            lane.conn->close();
            lane.conn.reset();
        }
    }
};

void HttpsClient::State::start_next(std::size_t i) {
    Lane& lane = lanes[i];
    if (lane.current || lane.waiting.empty())
        return;
    lane.current.emplace(std::move(lane.waiting.front()));
    lane.waiting.pop_front();
    lane.response = Response{};
    lane.write_started = false;
    lane.started = Clock::now();
    ++lane.serial;
    const Clock::time_point deadline = lane.started + options.timeout;
    if (lane.conn && lane.conn->idle_usable()) {
        beast::get_lowest_layer(lane.conn->stream).expires_at(deadline);
        write(i);
        return;
    }
    drop_connection(lane);
    connect(i, deadline);
}

void HttpsClient::State::connect(std::size_t i, Clock::time_point deadline) {
    Lane& lane = lanes[i];
    auto conn = std::make_shared<Connection>(io, ctx);
    if (!prepare_tls_stream(conn->stream, options.host))
        return fail_later(i, "TLS: could not set the server name");
    if (endpoints.empty()) {
        // Synchronous on purpose: Asio's asynchronous resolver runs on a thread of its own, and
        // this happens only at the first connect and after a failed one.
        tcp::resolver resolver(io);
        error_code ec;
        endpoints = resolver.resolve(options.host, options.port, ec);
        if (ec) {
            endpoints = {};
            return fail_later(i, "resolve: " + ec.message());
        }
    }
    lane.conn = conn;
    ++connects;
    beast::tcp_stream& tcp_layer = beast::get_lowest_layer(conn->stream);
    // One deadline for the whole request: tcp_stream applies it to every operation started
    // until it is set again, and closes the socket when it passes.
    tcp_layer.expires_at(deadline);
    tcp_layer.async_connect(endpoints, [self = shared_from_this(), conn, i, serial = lane.serial](
                                           const error_code& ec, const tcp::endpoint&) {
        self->on_connect(i, serial, ec);
    });
}

void HttpsClient::State::on_connect(std::size_t i, std::uint64_t serial, const error_code& ec) {
    if (stale(i, serial))
        return;
    if (ec) {
        endpoints = {};  // the address may have changed: resolve again next time
        return fail(i, "connect", ec);
    }
    Connection& c = *lanes[i].conn;
    error_code ignored;
    beast::get_lowest_layer(c.stream).socket().set_option(tcp::no_delay(true), ignored);
    c.stream.async_handshake(asio::ssl::stream_base::client,
                             [self = shared_from_this(), conn = lanes[i].conn, i,
                              serial](const error_code& e) { self->on_handshake(i, serial, e); });
}

void HttpsClient::State::on_handshake(std::size_t i, std::uint64_t serial, const error_code& ec) {
    if (stale(i, serial))
        return;
    if (ec)
        return fail(i, "TLS handshake", ec);
    lanes[i].conn->ready = true;
    write(i);
}

void HttpsClient::State::write(std::size_t i) {
    Lane& lane = lanes[i];
    Connection& c = *lane.conn;
    Pending& p = *lane.current;
    c.request = {};
    c.request.method(p.verb);
    c.request.target(p.target);
    c.request.version(11);
    c.request.set(bhttp::field::host, host);
    c.request.set(bhttp::field::user_agent, options.user_agent);
    for (const auto& [name, value] : options.headers)
        c.request.set(name, value);
    if (!p.body.empty()) {
        c.request.set(bhttp::field::content_type, "application/json");
        c.request.body() = std::move(p.body);
    }
    c.request.prepare_payload();
    lane.write_started = true;
    bhttp::async_write(c.stream, c.request,
                       [self = shared_from_this(), conn = lane.conn, i, serial = lane.serial](
                           const error_code& ec, std::size_t) { self->on_write(i, serial, ec); });
}

void HttpsClient::State::on_write(std::size_t i, std::uint64_t serial, const error_code& ec) {
    if (stale(i, serial))
        return;
    if (ec)
        return fail(i, "write", ec);
    Lane& lane = lanes[i];
    lane.response.written = true;
    Connection& c = *lane.conn;
    c.parser.emplace();
    c.parser->body_limit(options.body_limit);
    // The header first, on its own: Beast 1.74's eager parse (async_read) loses the body_limit
    // error of a Content-Length over the limit when body bytes came in the same read, and
    // reads the whole body anyway. The header alone is checked and refused.
    bhttp::async_read_header(
        c.stream, c.buffer, *c.parser,
        [self = shared_from_this(), conn = lane.conn, i, serial](const error_code& e, std::size_t) {
            self->on_header(i, serial, e);
        });
}

void HttpsClient::State::on_header(std::size_t i, std::uint64_t serial, const error_code& ec) {
    if (stale(i, serial))
        return;
    if (ec)
        return fail(i, "read", ec);
    Connection& c = *lanes[i].conn;
    bhttp::async_read(c.stream, c.buffer, *c.parser,
                      [self = shared_from_this(), conn = lanes[i].conn, i, serial](
                          const error_code& e, std::size_t) { self->on_read(i, serial, e); });
}

void HttpsClient::State::on_read(std::size_t i, std::uint64_t serial, const error_code& ec) {
    if (stale(i, serial))
        return;
    if (ec)
        return fail(i, "read", ec);
    Lane& lane = lanes[i];
    Connection& c = *lane.conn;
    auto& answer = c.parser->get();
    Response& out = lane.response;
    out.status = answer.result_int();
    out.body = std::move(answer.body());
    out.ratelimit_limit = header_int(answer, "X-Ratelimit-Limit");
    out.ratelimit_remaining = header_int(answer, "X-Ratelimit-Remaining");
    out.ratelimit_reset = header_int(answer, "X-Ratelimit-Reset");
    if (const auto it = answer.find(bhttp::field::retry_after); it != answer.end())
        out.retry_after = std::string(it->value());
    // `Connection: close` (or an answer that ends at end of stream) ends the connection.
    c.ready = answer.keep_alive();
    c.parser.reset();
    if (!c.ready)
        drop_connection(lane);
    finish(i);
}

void HttpsClient::State::fail(std::size_t i, const char* step, const error_code& ec) {
    Lane& lane = lanes[i];
    lane.response.timed_out = ec == beast::error::timeout;
    // The step and the system's reason only: neither can hold a header value.
    lane.response.error =
        std::string(step) + ": " + (lane.response.timed_out ? "timed out" : ec.message());
    drop_connection(lane);
    finish(i);
}

void HttpsClient::State::fail_later(std::size_t i, std::string why) {
    // Posted, not called: this can happen inside request(), and a callback never runs there.
    asio::post(io, [self = shared_from_this(), i, serial = lanes[i].serial,
                    why = std::move(why)]() mutable {
        if (self->stale(i, serial))
            return;
        self->lanes[i].response.error = std::move(why);
        drop_connection(self->lanes[i]);
        self->finish(i);
    });
}

void HttpsClient::State::finish(std::size_t i) {
    Lane& lane = lanes[i];
    Response out = std::move(lane.response);
    out.elapsed = Clock::now() - lane.started;
    Callback done = std::move(lane.current->done);
    lane.current.reset();
    // The next request starts before this one's callback runs, so its bytes leave now.
    start_next(i);
    done(std::move(out));
}

HttpsClient::HttpsClient(boost::asio::io_context& io, Options options)
    : state_(std::make_shared<State>(io, std::move(options))) {
    KEEL_ASSERT(!state_->lanes.empty(), "HttpsClient: at least one lane");
}

HttpsClient::~HttpsClient() {
    state_->destroyed = true;
    for (Lane& lane : state_->lanes) {
        lane.waiting.clear();
        lane.current.reset();
        State::drop_connection(lane);
    }
}

void HttpsClient::request(std::size_t lane, boost::beast::http::verb verb, std::string target,
                          std::string body, Callback done) {
    KEEL_ASSERT(lane < state_->lanes.size(), "HttpsClient::request: no such lane");
    KEEL_ASSERT(done != nullptr, "HttpsClient::request: a callback is required");
    Lane& l = state_->lanes[lane];
    if (l.waiting.size() >= state_->options.max_queued) {
        asio::post(state_->io, [self = state_, done = std::move(done)] {
            if (self->destroyed)
                return;
            Response r;
            r.error = "queue full";
            done(std::move(r));
        });
        return;
    }
    l.waiting.push_back({verb, std::move(target), std::move(body), std::move(done)});
    state_->start_next(lane);
}

std::size_t HttpsClient::queued(std::size_t lane) const {
    KEEL_ASSERT(lane < state_->lanes.size(), "HttpsClient::queued: no such lane");
    const Lane& l = state_->lanes[lane];
    return l.waiting.size() + (l.current ? 1 : 0);
}

std::size_t HttpsClient::lanes() const noexcept {
    return state_->lanes.size();
}

std::uint64_t HttpsClient::connects() const noexcept {
    return state_->connects;
}

void HttpsClient::close() {
    // Everything is taken out of the lanes first, so a callback that makes a new request finds
    // the client in a clean state.
    std::vector<std::pair<Callback, Response>> failed;
    const Clock::time_point now = Clock::now();
    for (Lane& lane : state_->lanes) {
        if (lane.current) {
            Response r;
            r.error = "closed";
            r.written = lane.write_started;
            r.elapsed = now - lane.started;
            failed.emplace_back(std::move(lane.current->done), std::move(r));
            lane.current.reset();
        }
        for (Pending& p : lane.waiting) {
            Response r;
            r.error = "closed";
            failed.emplace_back(std::move(p.done), std::move(r));
        }
        lane.waiting.clear();
        State::drop_connection(lane);
    }
    for (auto& [done, response] : failed)
        done(std::move(response));
}

}  // namespace keel::adapters::http
