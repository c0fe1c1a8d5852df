// AlpacaTestServer's insides (alpaca_test_server.hpp), shared by its three sources: the
// server's life and timers (alpaca_test_server.cpp), the HTTP sessions and REST routing with
// the REST faults (alpaca_test_server_http.cpp), and the trade_updates stream with the event
// faults (alpaca_test_server_stream.cpp). Everything here runs on the server's one thread.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keel/adapters/alpaca/alpaca_test_server.hpp"
#include "test_server_book.hpp"

namespace keel::adapters::alpaca {

namespace asio = boost::asio;
namespace beast = boost::beast;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using WsStream = beast::websocket::stream<TlsStream>;
using Request = beast::http::request<beast::http::string_body>;
using Clock = std::chrono::steady_clock;

class StreamSession;

// What the REST side decided for one request.
struct Reply {
    Answer answer;
    bool hang = false;  // accept_then_hang: processed, never answered
};

// co_spawn's completion: an exception escaping a session is a bug, so it leaves io.run()
// instead of vanishing (asio::detached would swallow it).
inline void rethrow(std::exception_ptr e) {
    if (e)
        std::rethrow_exception(e);
}

struct AlpacaTestServer::Impl {
    Impl(AlpacaServerOptions o, engine::SymbolTable s);

    // Declared first so it is destroyed last: the sessions' coroutine frames it still holds
    // at destruction close their sockets through it. The TLS context next, for their SSL
    // objects.
    asio::io_context io{1};
    asio::ssl::context tls{asio::ssl::context::tls_server};
    AlpacaServerOptions options;
    engine::SymbolTable symbols;
    AlpacaServerCounters counters;
    std::unique_ptr<ServerBook> book;
    asio::ip::tcp::acceptor acceptor{io};
    int port = 0;
    std::function<bool()> tick;
    asio::steady_timer tick_timer{io};
    bool events_on = false;  // off while open() places the foreign order: nobody hears it

    // --- REST (alpaca_test_server_http.cpp) ---
    std::int64_t window_start_s = 0;  // the rate-limit window: window_s() from its first request
    std::uint64_t window_count = 0;
    std::uint64_t served = 0;       // requests past auth and the rate limit (error_every's count)
    std::uint64_t order_posts = 0;  // POST /v2/orders routed (accept_then_hang's count)
    std::vector<std::shared_ptr<TlsStream>> hung;  // held open, never answered

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> serve_http(std::shared_ptr<TlsStream> stream);
    [[nodiscard]] Reply handle(const Request& req);
    [[nodiscard]] Reply route(const Request& req);
    [[nodiscard]] bool key_expired() const noexcept;
    [[nodiscard]] std::uint64_t rate_limit() const noexcept;
    [[nodiscard]] std::int64_t window_s() const noexcept;

    // --- the stream (alpaca_test_server_stream.cpp) ---
    struct Delayed {
        Clock::time_point due;
        std::shared_ptr<const std::string> message;
    };
    std::vector<std::shared_ptr<StreamSession>> streams;  // accepted and not yet closed
    std::uint64_t events_made = 0;                        // reorder_every's count
    std::uint64_t events_emitted = 0;                     // duplicate_every's count
    std::optional<std::string> held;                      // reorder_every: waits for the next event
    std::uint64_t held_generation = 0;
    asio::steady_timer reorder_timer{io};
    std::deque<Delayed> delayed;  // delay_ms, due in order
    asio::steady_timer delay_timer{io};
    bool delay_armed = false;

    void start_stream(TlsStream&& stream, Request&& req);
    void on_event(std::string json);
    void release_held();
    void emit(std::string json);
    void flush_delayed();
    void broadcast(const std::shared_ptr<const std::string>& message);

    // --- life (alpaca_test_server.cpp) ---
    void schedule_tick();
    void print_prices();
    void on_market_data(const engine::Event& event);
};

}  // namespace keel::adapters::alpaca
