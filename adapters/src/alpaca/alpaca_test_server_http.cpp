// AlpacaTestServer's HTTP side: the TLS acceptor, one coroutine per connection (HTTP/1.1
// keep-alive; GET /stream with an Upgrade is handed to the stream), authentication, the
// rate-limit window and its headers, the REST faults, and routing to the book.
#include "alpaca_test_server_impl.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace keel::adapters::alpaca {

namespace http = beast::http;
using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;
using boost::system::error_code;

namespace {

constexpr std::size_t kMaxBodyBytes = 64 * 1024;
constexpr auto kShutdownTimeout = std::chrono::seconds(5);

std::string_view view(beast::string_view s) {
    return {s.data(), s.size()};
}

std::string_view path_of(std::string_view target) {
    return target.substr(0, target.find('?'));
}

}  // namespace

asio::awaitable<void> AlpacaTestServer::Impl::accept_loop() {
    for (;;) {
        error_code ec;
        asio::ip::tcp::socket socket =
            co_await acceptor.async_accept(redirect_error(use_awaitable, ec));
        if (ec) {
            if (!acceptor.is_open() || ec == asio::error::operation_aborted)
                co_return;
            continue;  // a connection that failed before it was accepted
        }
        auto stream = std::make_shared<TlsStream>(std::move(socket), tls);
        asio::co_spawn(io, serve_http(std::move(stream)), rethrow);
    }
}

namespace {

http::response<http::string_body> make_response(const Request& req, Answer answer,
                                                std::uint64_t limit, std::uint64_t used,
                                                std::int64_t reset_s) {
    http::response<http::string_body> res{static_cast<http::status>(answer.status), req.version()};
    res.set(http::field::server, "keel-alpaca-venue");
    if (!answer.body.empty())
        res.set(http::field::content_type, "application/json; charset=UTF-8");
    res.set("X-Ratelimit-Limit", std::to_string(limit));
    res.set("X-Ratelimit-Remaining", std::to_string(used < limit ? limit - used : 0));
    res.set("X-Ratelimit-Reset", std::to_string(reset_s));
    res.keep_alive(req.keep_alive());
    res.body() = std::move(answer.body);
    res.prepare_payload();
    return res;
}

}  // namespace

// GCC 12 warns that the coroutine frame's deallocation does not match its allocation: a false
// positive on asio's awaitable_frame_base, whose class-specific operator new and delete are a
// matching pair. It appears or not with inlining, so it is silenced for this function only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
// One connection: requests answered in turn until the client closes, asks to close, or the
// connection becomes a stream or hangs (a fault).
asio::awaitable<void> AlpacaTestServer::Impl::serve_http(std::shared_ptr<TlsStream> stream) {
    error_code ec;
    co_await stream->async_handshake(asio::ssl::stream_base::server,
                                     redirect_error(use_awaitable, ec));
    if (ec)
        co_return;
    beast::flat_buffer buffer;
    asio::steady_timer delay(io);
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(kMaxBodyBytes);
        co_await http::async_read(*stream, buffer, parser, redirect_error(use_awaitable, ec));
        if (ec)
            co_return;  // closed by the client, or not HTTP: nothing more to answer
        Request req = parser.release();
        if (beast::websocket::is_upgrade(req) && path_of(view(req.target())) == "/stream") {
            start_stream(std::move(*stream), std::move(req));
            co_return;
        }
        Reply reply = handle(req);
        if (reply.hang) {
            hung.push_back(stream);  // the socket stays open; nothing is ever written to it
            co_return;
        }
        if (options.faults.delay_ms > 0) {
            ++counters.delayed;
            delay.expires_after(std::chrono::milliseconds(options.faults.delay_ms));
            co_await delay.async_wait(redirect_error(use_awaitable, ec));
        }
        const std::int64_t reset_s =
            (window_start_s != 0 ? window_start_s : wall_clock_ns() / 1'000'000'000) + window_s();
        auto res = make_response(req, std::move(reply.answer), rate_limit(), window_count, reset_s);
        co_await http::async_write(*stream, res, redirect_error(use_awaitable, ec));
        if (ec)
            co_return;  // the client is gone: the socket closes with the stream
        if (!res.keep_alive())
            break;
    }
    // The answer said Connection: close: a TLS close_notify, bounded in case the client never
    // answers it.
    beast::get_lowest_layer(*stream).expires_after(kShutdownTimeout);
    co_await stream->async_shutdown(redirect_error(use_awaitable, ec));
}
#pragma GCC diagnostic pop

bool AlpacaTestServer::Impl::key_expired() const noexcept {
    const std::uint64_t after = options.faults.expire_key_after;
    return after > 0 && counters.requests >= after;
}

std::uint64_t AlpacaTestServer::Impl::rate_limit() const noexcept {
    return options.faults.rate_limit > 0 ? options.faults.rate_limit : options.rate_limit_per_min;
}

// Alpaca's window is a minute; the rate_window_s fault changes it (1 s to an hour).
std::int64_t AlpacaTestServer::Impl::window_s() const noexcept {
    return static_cast<std::int64_t>(options.faults.rate_window_s);
}

// Before the route: the key (and its expiry), the rate limit, then the error fault; each
// answers instead of processing.
Reply AlpacaTestServer::Impl::handle(const Request& req) {
    ++counters.requests;
    const AlpacaServerFaults& f = options.faults;
    const bool expired = f.expire_key_after > 0 && counters.requests > f.expire_key_after;
    if (expired || view(req["APCA-API-KEY-ID"]) != options.key_id ||
        view(req["APCA-API-SECRET-KEY"]) != options.secret_key) {
        ++counters.unauthorized;
        counters.expired_key_refusals += expired ? 1 : 0;
        return {error_answer(401, kCodeUnauthorized, "request is not authorized")};
    }
    const std::int64_t now_s = wall_clock_ns() / 1'000'000'000;
    if (window_start_s == 0 || now_s >= window_start_s + window_s()) {
        window_start_s = now_s;
        window_count = 0;
    }
    if (++window_count > rate_limit()) {
        ++counters.rate_limited;
        return {error_answer(429, kCodeRateLimited, "rate limit exceeded")};
    }
    if (f.error_every > 0 && ++served % f.error_every == 0) {
        ++counters.errors_injected;
        return f.error_code == 504 ? Reply{error_answer(504, 50410000, "gateway timeout")}
                                   : Reply{error_answer(500, 50010000, "internal server error")};
    }
    return route(req);
}

Reply AlpacaTestServer::Impl::route(const Request& req) {
    const std::string_view target = view(req.target());
    const std::size_t q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const auto query =
        parse_query(q == std::string_view::npos ? std::string_view() : target.substr(q + 1));
    const http::verb m = req.method();
    if (path == "/v2/orders" && m == http::verb::post) {
        Reply r{book->place(req.body())};
        const std::uint64_t every = options.faults.accept_then_hang_every;
        if (every > 0 && ++order_posts % every == 0) {
            r.hang = true;
            ++counters.hung;
        }
        return r;
    }
    if (path == "/v2/orders" && m == http::verb::get)
        return {book->list(query)};
    if ((path == "/v2/orders:by_client_order_id" || path == "/v2/orders%3Aby_client_order_id") &&
        m == http::verb::get)
        return {book->get_by_client_order_id(query)};
    constexpr std::string_view kOrder = "/v2/orders/";
    if (path.starts_with(kOrder) && path.size() > kOrder.size() &&
        path.find('/', kOrder.size()) == std::string_view::npos) {
        const std::string_view id = path.substr(kOrder.size());
        if (m == http::verb::get)
            return {book->get(id)};
        if (m == http::verb::patch)
            return {book->replace(id, req.body())};
        if (m == http::verb::delete_)
            return {book->cancel(id)};
    }
    if (path == "/v2/positions" && m == http::verb::get)
        return {book->positions()};
    if (path == "/v2/account" && m == http::verb::get)
        return {book->account()};
    return {error_answer(404, kCodeNotFound, "endpoint not found")};
}

}  // namespace keel::adapters::alpaca
