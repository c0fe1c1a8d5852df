// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include "keel/adapters/feed/feed_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>
#include <optional>
#include <thread>

#include "keel/adapters/feed/staleness_tracker.hpp"
#include "keel/engine/core/exchange_time.hpp"

namespace keel::adapters::feed {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;
using engine::Event;

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
std::int64_t unix_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// How far into a read buffer a line may grow before it is refused as too large, beyond the
// message limit itself: room for one read's worth of the next line.
constexpr std::size_t kReadChunk = 64 * 1024;

}  // namespace

std::string_view to_string(FeedProtocol p) noexcept {
    return p == FeedProtocol::ws ? "ws" : "tcp";
}

// ---- FeedCounters --------------------------------------------------------------------------

FeedCounters::FeedCounters(std::size_t symbol_count)
    : last_receipt_ns_(symbol_count), stale_(symbol_count) {}

std::int64_t FeedCounters::last_receipt_unix_ns(engine::SymbolId s) const noexcept {
    return s < last_receipt_ns_.size() ? last_receipt_ns_[s].load(std::memory_order_relaxed) : 0;
}

bool FeedCounters::stale(engine::SymbolId s) const noexcept {
    return s < stale_.size() && stale_[s].load(std::memory_order_relaxed);
}

void FeedCounters::set_last_receipt(engine::SymbolId s, std::int64_t unix_ns_value) noexcept {
    if (s < last_receipt_ns_.size())
        last_receipt_ns_[s].store(unix_ns_value, std::memory_order_relaxed);
}

void FeedCounters::set_stale(engine::SymbolId s, bool value) noexcept {
    if (s < stale_.size())
        stale_[s].store(value, std::memory_order_relaxed);
}

bool FeedCounters::count_unknown(std::string_view name) {
    unknown_symbols.fetch_add(1, std::memory_order_relaxed);
    const std::lock_guard lock(unknown_mutex_);
    auto it = unknown_.find(name);
    if (it != unknown_.end()) {
        ++it->second;
        return false;
    }
    // A bound on the names kept, so a feed of random names cannot grow memory without limit.
    if (unknown_.size() >= kMaxUnknownNames) {
        const bool first = ++unknown_["(other)"] == 1;
        return first;
    }
    unknown_.emplace(std::string(name), 1);
    return true;
}

std::vector<std::pair<std::string, std::uint64_t>> FeedCounters::unknown_by_name() const {
    const std::lock_guard lock(unknown_mutex_);
    return {unknown_.begin(), unknown_.end()};
}

// ---- FeedClient ----------------------------------------------------------------------------

struct FeedClient::Impl {
    Impl(FeedClientOptions opts, const engine::SymbolTable& table, InputPort& input, Log sink)
        : options(std::move(opts)),
          symbols(table),
          port(input),
          log(std::move(sink)),
          counters(table.size()),
          parser(table, options.max_message_bytes),
          tracker(table.size(), options.stale_after_ms),
          band(band_limits(options.bands, table.size()), options.band_options),
          socket(io),
          resolver(io),
          retry_timer(io),
          watch_timer(io),
          queue_timer(io) {
        if (!log) {
            log = [](std::string_view line) { std::cerr << "keel: feed: " << line << std::endl; };
        }
        events.reserve(64);
        pending.reserve(64);
    }

    FeedClientOptions options;
    engine::SymbolTable symbols;
    InputPort& port;
    Log log;
    FeedCounters counters;
    MessageParser parser;
    StalenessTracker tracker;
    PriceBand band;
    std::uint64_t refusals_logged = 0;

    static std::vector<BandLimits> band_limits(std::vector<BandLimits> given, std::size_t n) {
        given.resize(std::max(given.size(), n));  // the rest: positive prices, default jump
        return given;
    }

    // The tick_refused input journaled in place of a tick the band refused.
    void refuse_tick(const Event& tick, const engine::TickRefusedPayload& r) {
        counters.ticks_refused.fetch_add(1, std::memory_order_relaxed);
        Event e = engine::make_event(engine::EventType::tick_refused, engine::Source::feed, 0,
                                     tick.header.ts_ns, tick.header.symbol);
        e.payload.tick_refused = r;
        pending.push_back(e);
        if (refusals_logged < kRefusalsLogged) {
            ++refusals_logged;
            log("refused " + std::string(symbols.name(tick.header.symbol)) + " " +
                std::string(engine::to_string(r.refused_type)) + " at " +
                engine::decimal_string(r.price.raw) + " (" +
                std::string(engine::to_string(r.reason)) + "; band " +
                engine::decimal_string(r.low.raw) + " .. " + engine::decimal_string(r.high.raw) +
                ", last accepted " + engine::decimal_string(r.anchor.raw) +
                "): journaled as tick_refused" +
                (refusals_logged == kRefusalsLogged ? "; later refusals are only counted" : ""));
        }
    }
    static constexpr std::uint64_t kRefusalsLogged = 10;

    asio::io_context io{1};
    tcp::socket socket;  // the connection (tcp), or the one under the WebSocket (ws)
    std::optional<beast::websocket::stream<tcp::socket>> ws;
    tcp::resolver resolver;
    asio::steady_timer retry_timer;
    asio::steady_timer watch_timer;
    asio::steady_timer queue_timer;
    std::thread thread;

    // Client thread only from here on.
    bool stopping = false;
    bool is_connected = false;
    std::int64_t last_data_ts_ns = 0;     // the latest event time of any symbol
    std::int64_t pending_receipt_ns = 0;  // wall clock when pending's message was read
    std::uint64_t connection_messages = 0;
    std::array<bool, kParseErrorKinds> logged_kind{};
    std::vector<Event> events;   // the parser's output for one message
    std::vector<Event> pending;  // what that message submits: status changes, then its events
    std::vector<StalenessChange> changes;

    std::string where() const {
        return std::string(to_string(options.protocol)) + "://" + options.host + ":" +
               std::to_string(options.port);
    }

    Event status_event(engine::SymbolId symbol, engine::FeedState state,
                       std::int64_t last_ts) const noexcept {
        // ts 0: stamped with the engine time at ingest (the status is about receipt time).
        Event e =
            engine::make_event(engine::EventType::feed_status, engine::Source::feed, 0, 0, symbol);
        e.payload.feed_status.last_data_ts_ns = last_ts;
        e.payload.feed_status.stale_after_ms = options.stale_after_ms;
        e.payload.feed_status.state = state;
        return e;
    }

    // Offers one event to the queue. Wall time: a timed event takes the receipt time of its
    // message and keeps the feed's time as its tail; a status (time 0) is stamped by the queue.
    bool offer(const Event& e) noexcept {
        if (!options.wall_time || e.header.ts_ns == 0)
            return port.submit(e);
        Event stamped = e;
        stamped.header.ts_ns = pending_receipt_ns;
        return port.submit_with_tail(stamped, engine::exchange_time_tail(e.header.ts_ns).view());
    }

    // Submits every pending event in order, waiting (on this thread) while the queue is full.
    // At stop, what could not be submitted is counted as lost, never dropped silently.
    awaitable<void> submit_pending() {
        for (std::size_t i = 0; i < pending.size(); ++i) {
            const Event& e = pending[i];
            if (offer(e)) {
                count_submitted(e);
                continue;
            }
            counters.queue_full_waits.fetch_add(1, std::memory_order_relaxed);
            bool submitted = false;
            while (!stopping && !submitted) {
                queue_timer.expires_after(std::chrono::microseconds(options.queue_full_retry_us));
                error_code ec;
                co_await queue_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                submitted = offer(e);
            }
            if (!submitted) {
                counters.lost_at_stop.fetch_add(pending.size() - i, std::memory_order_relaxed);
                break;
            }
            count_submitted(e);
        }
        pending.clear();
    }

    void count_submitted(const Event& e) noexcept {
        if (e.header.type == engine::EventType::feed_status)
            counters.status_events.fetch_add(1, std::memory_order_relaxed);
        else
            counters.events.fetch_add(1, std::memory_order_relaxed);
    }

    // One received message: parsed, counted, and its events (with any fresh-again status
    // before a symbol's first event) put in pending.
    void on_message(std::string_view text, std::uint64_t stream_offset) {
        while (!text.empty() && (text.back() == '\r' || text.back() == ' '))
            text.remove_suffix(1);
        if (text.find_first_not_of(" \t") == std::string_view::npos)
            return;  // a blank line (a keep-alive) is not a message
        ++connection_messages;
        counters.messages.fetch_add(1, std::memory_order_relaxed);
        const ParseError err = parser.parse(text, events);
        if (!err.ok()) {
            counters.malformed.fetch_add(1, std::memory_order_relaxed);
            const auto kind = static_cast<std::size_t>(err.kind);
            counters.malformed_by_kind[kind].fetch_add(1, std::memory_order_relaxed);
            if (!logged_kind[kind]) {
                logged_kind[kind] = true;
                log("malformed message " + std::to_string(connection_messages) + " from " +
                    where() + " (stream byte " + std::to_string(stream_offset) +
                    "): " + describe(err) + "; counted and skipped, later " +
                    std::string(to_string(err.kind)) + " messages are only counted");
            }
            return;
        }
        for (const std::string_view name : parser.unknown_symbols()) {
            if (counters.count_unknown(name))
                log("unknown symbol '" + std::string(name) +
                    "': its messages are counted and skipped (not in the configured symbols)");
        }
        if (events.empty())
            return;
        const std::int64_t now = steady_ns();
        const std::int64_t now_unix = unix_ns();
        pending_receipt_ns = now_unix;
        for (const Event& e : events) {
            const engine::SymbolId s = e.header.symbol;
            if (tracker.on_data(s, now, e.header.ts_ns)) {
                counters.set_stale(s, false);
                log(std::string(symbols.name(s)) + " fresh again");
                pending.push_back(status_event(s, engine::FeedState::fresh, e.header.ts_ns));
            }
            counters.set_last_receipt(s, now_unix);
            if (e.header.ts_ns > last_data_ts_ns)
                last_data_ts_ns = e.header.ts_ns;
            if (const auto refusal = band.check(e)) {
                refuse_tick(e, *refusal);
                continue;
            }
            pending.push_back(e);
        }
    }

    awaitable<void> read_tcp() {
        // Lines are cut out of one buffer in place; a line longer than the message limit is
        // refused as too_large and skipped up to its newline.
        std::vector<char> buffer(options.max_message_bytes + kReadChunk + 1);
        std::size_t begin = 0, end = 0;
        std::uint64_t consumed = 0;  // stream offset of buffer[begin]
        bool discarding = false;
        for (;;) {
            if (begin > 0) {
                std::memmove(buffer.data(), buffer.data() + begin, end - begin);
                end -= begin;
                begin = 0;
            }
            error_code ec;
            const std::size_t n = co_await socket.async_read_some(
                asio::buffer(buffer.data() + end, buffer.size() - end),
                asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                if (!stopping)
                    log("disconnected from " + where() + ": " + ec.message());
                co_return;
            }
            const std::size_t scan_from = end;
            end += n;
            std::size_t pos = scan_from;
            while (pos < end) {
                const void* nl = std::memchr(buffer.data() + pos, '\n', end - pos);
                if (nl == nullptr)
                    break;
                const std::size_t line_end =
                    static_cast<std::size_t>(static_cast<const char*>(nl) - buffer.data());
                if (discarding)
                    discarding = false;
                else
                    on_message(std::string_view(buffer.data() + begin, line_end - begin), consumed);
                consumed += line_end + 1 - begin;
                begin = line_end + 1;
                pos = begin;
            }
            if (!discarding && end - begin > options.max_message_bytes) {
                // Refused like any malformed message, then skipped to its end.
                on_too_large(consumed);
                discarding = true;
            }
            if (discarding) {
                consumed += end - begin;
                begin = end;
            }
            if (!pending.empty())
                co_await submit_pending();
        }
    }

    void on_too_large(std::uint64_t stream_offset) {
        ++connection_messages;
        counters.messages.fetch_add(1, std::memory_order_relaxed);
        counters.malformed.fetch_add(1, std::memory_order_relaxed);
        const auto kind = static_cast<std::size_t>(ParseErrorKind::too_large);
        counters.malformed_by_kind[kind].fetch_add(1, std::memory_order_relaxed);
        if (!logged_kind[kind]) {
            logged_kind[kind] = true;
            log("malformed message " + std::to_string(connection_messages) + " from " + where() +
                " (stream byte " + std::to_string(stream_offset) + "): too_large: longer than " +
                std::to_string(options.max_message_bytes) + " bytes; skipped to its end");
        }
    }

    awaitable<void> read_ws() {
        beast::flat_buffer buffer;
        std::uint64_t consumed = 0;
        for (;;) {
            error_code ec;
            const std::size_t n =
                co_await ws->async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                if (ec == beast::websocket::error::message_too_big)
                    on_too_large(consumed);
                if (!stopping)
                    log("disconnected from " + where() + ": " + ec.message());
                co_return;
            }
            const auto data = buffer.cdata();
            on_message(std::string_view(static_cast<const char*>(data.data()), data.size()),
                       consumed);
            consumed += n;
            buffer.consume(buffer.size());
            if (!pending.empty())
                co_await submit_pending();
        }
    }

    // Connects once; false (logged) when it could not.
    awaitable<bool> connect() {
        error_code ec;
        // Named, not temporaries: g++ 12 destroys a temporary in a co_await expression twice.
        const std::string service = std::to_string(options.port);
        const auto endpoints = co_await resolver.async_resolve(
            options.host, service, asio::redirect_error(asio::use_awaitable, ec));
        if (ec || stopping) {
            if (!stopping)
                log("cannot resolve " + options.host + ": " + ec.message());
            co_return false;
        }
        socket = tcp::socket(io);
        co_await asio::async_connect(socket, endpoints,
                                     asio::redirect_error(asio::use_awaitable, ec));
        if (ec || stopping) {
            if (!stopping)
                log("cannot connect to " + where() + ": " + ec.message());
            co_return false;
        }
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        if (options.protocol == FeedProtocol::ws) {
            ws.emplace(std::move(socket));
            socket = tcp::socket(io);
            ws->read_message_max(options.max_message_bytes);
            ws->text(true);
            // The path is the request target, not logged: it may carry an API token.
            const std::string host = options.host + ":" + service;
            const std::string target = options.ws_path.empty() ? "/" : options.ws_path;
            co_await ws->async_handshake(host, target,
                                         asio::redirect_error(asio::use_awaitable, ec));
            if (ec || stopping) {
                if (!stopping)
                    log("WebSocket handshake with " + where() + " failed: " + ec.message());
                co_return false;
            }
        }
        co_return true;
    }

    awaitable<void> send_subscriptions(error_code& ec) {
        for (const std::string& message : options.subscribe) {
            if (options.protocol == FeedProtocol::ws) {
                co_await ws->async_write(asio::buffer(message),
                                         asio::redirect_error(asio::use_awaitable, ec));
            } else {
                const std::string line = message + "\n";
                co_await asio::async_write(socket, asio::buffer(line),
                                           asio::redirect_error(asio::use_awaitable, ec));
            }
            if (ec)
                co_return;
        }
    }

    void close_connection() {
        error_code ignored;
        socket.close(ignored);
        if (ws)
            beast::get_lowest_layer(*ws).close(ignored);
    }

    awaitable<void> run() {
        std::uint32_t attempt = 0;
        bool first = true;
        while (!stopping) {
            if (!first) {
                const std::uint32_t delay = backoff_delay_ms(options.backoff, attempt);
                if (attempt < 0xFFFF'FFFFu)
                    ++attempt;
                retry_timer.expires_after(std::chrono::milliseconds(delay));
                error_code ec;
                co_await retry_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                if (stopping)
                    break;
                counters.reconnects.fetch_add(1, std::memory_order_relaxed);
            }
            first = false;
            ws.reset();
            if (!co_await connect()) {
                close_connection();
                continue;
            }
            attempt = 0;
            connection_messages = 0;
            is_connected = true;
            counters.connects.fetch_add(1, std::memory_order_relaxed);
            counters.connected.store(true, std::memory_order_relaxed);
            log("connected to " + where());
            pending.push_back(
                status_event(engine::kNoSymbol, engine::FeedState::connected, last_data_ts_ns));
            co_await submit_pending();
            error_code ec;
            co_await send_subscriptions(ec);
            if (ec && !stopping)
                log("cannot send the subscriptions to " + where() + ": " + ec.message());
            if (!ec && !stopping) {
                if (options.protocol == FeedProtocol::ws)
                    co_await read_ws();
                else
                    co_await read_tcp();
            }
            close_connection();
            is_connected = false;
            counters.connected.store(false, std::memory_order_relaxed);
            pending.push_back(
                status_event(engine::kNoSymbol, engine::FeedState::disconnected, last_data_ts_ns));
            if (stopping) {
                // One offer at stop: the session may be closing its queue already.
                if (port.submit(pending.front()))
                    count_submitted(pending.front());
                else
                    counters.lost_at_stop.fetch_add(1, std::memory_order_relaxed);
                pending.clear();
            } else {
                co_await submit_pending();
            }
        }
    }

    // Staleness, checked on a timer on this thread.
    awaitable<void> watch() {
        if (options.stale_after_ms == 0)
            co_return;
        const auto every =
            std::chrono::milliseconds(std::max<std::uint32_t>(10, options.stale_after_ms / 4));
        while (!stopping) {
            watch_timer.expires_after(every);
            error_code ec;
            co_await watch_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (stopping)
                break;
            changes.clear();
            tracker.check(steady_ns(), changes);
            if (changes.empty())
                continue;
            // Its own list: the reader may be part-way through submitting pending.
            std::vector<Event> stale_events;
            for (const StalenessChange& c : changes) {
                counters.set_stale(c.symbol, true);
                log(std::string(symbols.name(c.symbol)) + " stale: no message for more than " +
                    std::to_string(options.stale_after_ms) + " ms");
                stale_events.push_back(status_event(c.symbol, c.state, c.last_data_ts_ns));
            }
            for (const Event& e : stale_events) {
                while (!port.submit(e)) {
                    counters.queue_full_waits.fetch_add(1, std::memory_order_relaxed);
                    if (stopping) {
                        counters.lost_at_stop.fetch_add(1, std::memory_order_relaxed);
                        break;
                    }
                    asio::steady_timer wait(io);
                    wait.expires_after(std::chrono::microseconds(options.queue_full_retry_us));
                    co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                }
                if (!stopping)
                    count_submitted(e);
            }
        }
    }
};

FeedClient::FeedClient(FeedClientOptions options, const engine::SymbolTable& symbols,
                       InputPort& port, Log log)
    : impl_(std::make_unique<Impl>(std::move(options), symbols, port, std::move(log))) {}

FeedClient::~FeedClient() {
    stop();
}

void FeedClient::start() {
    if (impl_->thread.joinable())
        return;
    Impl& im = *impl_;
    im.tracker.start(steady_ns());
    auto on_end = [&im](std::exception_ptr e) {
        if (!e)
            return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            im.log(std::string("the feed client stopped on an error: ") + ex.what());
        }
    };
    asio::co_spawn(im.io, im.run(), on_end);
    asio::co_spawn(im.io, im.watch(), on_end);
    im.thread = std::thread([&im] { im.io.run(); });
}

void FeedClient::stop() {
    if (!impl_ || !impl_->thread.joinable())
        return;
    Impl& im = *impl_;
    asio::post(im.io, [&im] {
        im.stopping = true;
        im.resolver.cancel();
        im.retry_timer.cancel();
        im.watch_timer.cancel();
        im.queue_timer.cancel();
        im.close_connection();
    });
    im.thread.join();
}

const FeedCounters& FeedClient::counters() const noexcept {
    return impl_->counters;
}

void FeedClient::seed_band(const engine::Event& accepted) noexcept {
    impl_->band.seed(accepted);
}

const FeedClientOptions& FeedClient::options() const noexcept {
    return impl_->options;
}

}  // namespace keel::adapters::feed
