// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include "keel/adapters/feed/feed_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <list>
#include <optional>

#include "keel/adapters/feed/line_format.hpp"
#include "keel/assert.hpp"

namespace keel::adapters::feed {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// One write's worth of lines when the client reads as fast as it can.
constexpr std::size_t kBatchBytes = 64 * 1024;
// How long a finished replay waits for its client to close before closing itself.
constexpr auto kDrainTimeout = std::chrono::seconds(5);

}  // namespace

struct FeedServer::Impl {
    Impl(std::vector<engine::Event> ev, std::vector<std::string> names, FeedServerOptions opts)
        : events(std::move(ev)),
          symbol_names(std::move(names)),
          options(std::move(opts)),
          acceptor(io),
          stop_timer(io) {
        KEEL_ASSERT(!(options.speed > 0 && options.rate > 0), "speed and rate exclude");
        if (events.size() > 1) {
            span_ns = events.back().header.ts_ns - events.front().header.ts_ns;
            cycle_ns = span_ns + std::max<std::int64_t>(
                                     1, span_ns / static_cast<std::int64_t>(events.size() - 1));
        } else {
            cycle_ns = 1'000'000'000;
        }
    }

    struct Session {
        explicit Session(asio::io_context& io) : socket(io), pace(io), drained(io) {}
        tcp::socket socket;
        std::optional<beast::websocket::stream<tcp::socket>> ws;
        asio::steady_timer pace;     // the writer waits on it for the next message's time
        asio::steady_timer drained;  // cancelled when the client's side is closed
        bool client_gone = false;
        int coroutines = 2;  // writer and reader: the session ends when both have
    };

    std::vector<engine::Event> events;
    std::vector<std::string> symbol_names;
    FeedServerOptions options;
    std::int64_t span_ns = 0;
    std::int64_t cycle_ns = 0;

    asio::io_context io{1};
    tcp::acceptor acceptor;
    asio::steady_timer stop_timer;
    std::list<std::shared_ptr<Session>> sessions;
    bool done = false;      // no more clients are accepted
    bool stopping = false;  // every replay is being closed
    std::atomic<std::uint64_t> sent{0};
    std::atomic<std::uint64_t> accepted{0};

    // Message i of the replay (cycle = how many times it has looped): the line to send and
    // when it is due.
    void render(std::size_t i, std::uint64_t cycle, std::string& out) const {
        engine::Event e = events[i];
        e.header.ts_ns += static_cast<std::int64_t>(cycle) * cycle_ns;
        const engine::SymbolId s = e.header.symbol;
        append_message(out, e, s < symbol_names.size() ? symbol_names[s] : std::string());
    }
    Clock::time_point due(Clock::time_point start, std::uint64_t n_sent, std::size_t i,
                          std::uint64_t cycle) const {
        if (options.rate > 0)
            return start + std::chrono::nanoseconds(
                               static_cast<std::int64_t>(static_cast<long double>(n_sent) * 1e9L /
                                                         static_cast<long double>(options.rate)));
        if (options.speed > 0) {
            const std::int64_t offset = events[i].header.ts_ns - events.front().header.ts_ns +
                                        static_cast<std::int64_t>(cycle) * cycle_ns;
            return start + std::chrono::nanoseconds(static_cast<std::int64_t>(
                               static_cast<long double>(offset) / options.speed));
        }
        return start;
    }

    void end_session(const std::shared_ptr<Session>& s) {
        if (--s->coroutines > 0)
            return;
        sessions.remove(s);
        if (!options.loop)
            stop_accepting();
        if (done && sessions.empty())
            finish();
    }

    void stop_accepting() {
        done = true;
        error_code ignored;
        acceptor.close(ignored);
    }

    void finish() {
        done = true;
        stopping = true;
        error_code ignored;
        acceptor.close(ignored);
        stop_timer.cancel();
        for (const auto& s : sessions) {
            s->pace.cancel();
            s->drained.cancel();
            s->socket.close(ignored);
            if (s->ws)
                beast::get_lowest_layer(*s->ws).close(ignored);
        }
    }

    awaitable<void> write(Session& s, const std::string& text, error_code& ec) {
        if (s.ws)
            co_await s.ws->async_write(asio::buffer(text),
                                       asio::redirect_error(asio::use_awaitable, ec));
        else
            co_await asio::async_write(s.socket, asio::buffer(text),
                                       asio::redirect_error(asio::use_awaitable, ec));
    }

    awaitable<void> writer(std::shared_ptr<Session> s) {
        const Clock::time_point start = Clock::now();
        std::string batch;
        std::uint64_t n_sent = 0, cycle = 0;
        std::size_t i = 0;
        error_code ec;
        while (!s->client_gone && !stopping) {
            if (i == events.size()) {
                if (!options.loop || events.empty())
                    break;
                i = 0;
                ++cycle;
            }
            const Clock::time_point when = due(start, n_sent, i, cycle);
            if (when > Clock::now()) {
                s->pace.expires_at(when);
                co_await s->pace.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                ec.clear();  // cancelled: the client left or the server stops (checked next)
                continue;
            }
            // Everything already due goes in one write (lines), or one message each (ws).
            batch.clear();
            std::uint64_t in_batch = 0;
            const Clock::time_point now = Clock::now();
            while (i < events.size() && batch.size() < kBatchBytes &&
                   (in_batch == 0 || due(start, n_sent + in_batch, i, cycle) <= now)) {
                render(i, cycle, batch);
                if (s->ws) {
                    co_await write(*s, batch, ec);
                    batch.clear();
                    if (ec)
                        break;
                } else {
                    batch += '\n';
                }
                ++i;
                ++in_batch;
            }
            if (!s->ws && !ec)
                co_await write(*s, batch, ec);
            if (ec)
                break;
            n_sent += in_batch;
            sent.fetch_add(in_batch, std::memory_order_relaxed);
        }
        // A replay has ended: no new client is accepted from here on. Closed before our side
        // of the connection is, so a client that reconnects on seeing the end is refused
        // rather than served a second replay.
        if (!options.loop)
            stop_accepting();
        // The end of the data: close our side and give the client time to read the rest.
        if (!ec && !s->client_gone) {
            if (s->ws) {
                co_await s->ws->async_close(beast::websocket::close_code::normal,
                                            asio::redirect_error(asio::use_awaitable, ec));
            } else {
                s->socket.shutdown(tcp::socket::shutdown_send, ec);
                s->drained.expires_after(kDrainTimeout);
                co_await s->drained.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            }
        }
        error_code ignored;
        if (s->ws)
            beast::get_lowest_layer(*s->ws).close(ignored);
        else
            s->socket.close(ignored);
        end_session(s);
    }

    // Reads and discards what the client sends (subscriptions), so its side closing is seen
    // while the writer waits, and nothing unread makes our close reset the connection.
    awaitable<void> reader(std::shared_ptr<Session> s) {
        error_code ec;
        if (s->ws) {
            beast::flat_buffer buffer;
            for (;;) {
                co_await s->ws->async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
                if (ec)
                    break;
                buffer.consume(buffer.size());
            }
        } else {
            char buffer[4096];
            for (;;) {
                co_await s->socket.async_read_some(asio::buffer(buffer),
                                                   asio::redirect_error(asio::use_awaitable, ec));
                if (ec)
                    break;
            }
        }
        s->client_gone = true;
        s->pace.cancel();
        s->drained.cancel();
        end_session(s);
    }

    awaitable<void> start_session(std::shared_ptr<Session> s) {
        if (options.protocol == FeedProtocol::ws) {
            s->ws.emplace(std::move(s->socket));
            s->ws->set_option(
                beast::websocket::stream_base::timeout::suggested(beast::role_type::server));
            s->ws->text(true);
            error_code ec;
            co_await s->ws->async_accept(asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                // Not a WebSocket client: it got no data, so it does not end the server (but
                // it may have been the last one the server was waiting for).
                sessions.remove(s);
                if (done && sessions.empty())
                    finish();
                co_return;
            }
        }
        asio::co_spawn(io, writer(s), asio::detached);
        asio::co_spawn(io, reader(s), asio::detached);
    }

    awaitable<void> accept_loop() {
        for (;;) {
            auto s = std::make_shared<Session>(io);
            error_code ec;
            co_await acceptor.async_accept(s->socket,
                                           asio::redirect_error(asio::use_awaitable, ec));
            if (ec || done)
                co_return;
            accepted.fetch_add(1, std::memory_order_relaxed);
            s->socket.set_option(tcp::no_delay(true), ec);
            sessions.push_back(s);
            asio::co_spawn(io, start_session(s), asio::detached);
        }
    }

    void watch_stop(const std::atomic<bool>& stop) {
        stop_timer.expires_after(std::chrono::milliseconds(50));
        stop_timer.async_wait([this, &stop](const error_code& ec) {
            if (ec || stopping)
                return;
            if (stop.load(std::memory_order_relaxed)) {
                finish();
                return;
            }
            watch_stop(stop);
        });
    }
};

FeedServer::FeedServer(std::vector<engine::Event> events, std::vector<std::string> symbol_names,
                       FeedServerOptions options)
    : impl_(
          std::make_unique<Impl>(std::move(events), std::move(symbol_names), std::move(options))) {}

FeedServer::~FeedServer() = default;

bool FeedServer::listen(std::string& error) {
    Impl& im = *impl_;
    error_code ec;
    const auto address = asio::ip::make_address(im.options.host, ec);
    const std::string where = im.options.host + ":" + std::to_string(im.options.port);
    if (ec) {
        error = "cannot listen on " + where + ": not an IP address";
        return false;
    }
    const tcp::endpoint endpoint(address, im.options.port);
    im.acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        im.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec)
        im.acceptor.bind(endpoint, ec);
    if (!ec)
        im.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        error = "cannot listen on " + where + ": " + ec.message();
        return false;
    }
    return true;
}

std::uint16_t FeedServer::port() const noexcept {
    error_code ec;
    const auto endpoint = impl_->acceptor.local_endpoint(ec);
    return ec ? 0 : endpoint.port();
}

void FeedServer::run(const std::atomic<bool>& stop) {
    Impl& im = *impl_;
    asio::co_spawn(im.io, im.accept_loop(), asio::detached);
    im.watch_stop(stop);
    im.io.run();
}

std::uint64_t FeedServer::messages_sent() const noexcept {
    return impl_->sent.load(std::memory_order_relaxed);
}

std::uint64_t FeedServer::clients() const noexcept {
    return impl_->accepted.load(std::memory_order_relaxed);
}

}  // namespace keel::adapters::feed
