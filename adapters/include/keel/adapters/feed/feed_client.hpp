// FeedClient: a streaming market-data client on its own thread (one Boost.Asio io_context).
// It connects to host:port over plain TCP (one JSON object per line) or WebSocket (Beast; one
// JSON text per message), parses each message with MessageParser and submits the events to an
// InputPort. It reconnects with capped exponential backoff, reports the connection (connected,
// disconnected) and each symbol's staleness (stale, fresh) as feed_status input events, and
// keeps counters that any thread may read (for /metrics).
//
// Nothing is dropped silently: a full queue makes the client wait on its own thread (counted in
// queue_full_waits) and stop reading, so back-pressure reaches the sender; a malformed message
// is counted by kind and the first of each kind is logged with its byte offset; a message for a
// symbol outside the table is counted per name and the name logged once; a tick outside its
// symbol's sanity band (input/price_band.hpp) is journaled as tick_refused in its place and
// counted (ticks_refused), the first ten logged.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/adapters/feed/backoff.hpp"
#include "keel/adapters/feed/message_parser.hpp"
#include "keel/adapters/input/input_port.hpp"
#include "keel/adapters/input/price_band.hpp"
#include "keel/engine/core/symbol_table.hpp"

namespace keel::adapters::feed {

enum class FeedProtocol : std::uint8_t { tcp = 0, ws = 1 };
[[nodiscard]] std::string_view to_string(FeedProtocol p) noexcept;

// What a config's feed section maps onto.
struct FeedClientOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    FeedProtocol protocol = FeedProtocol::tcp;
    std::string ws_path = "/";  // the WebSocket request target (may carry a token: never logged)
    // Sent once on every connection, as lines (tcp) or text messages (ws), e.g. Finnhub's
    // {"type":"subscribe","symbol":"AAPL"}.
    std::vector<std::string> subscribe;
    // A symbol with no message for longer than this (wall-clock receipt time) is reported
    // stale; 0 turns staleness off. Checked every max(10, stale_after_ms / 4) ms.
    std::uint32_t stale_after_ms = 5000;
    BackoffPolicy backoff;  // reconnect schedule (backoff.hpp)
    std::size_t max_message_bytes = kDefaultMaxMessageBytes;
    // How long the client waits before offering an event to a full queue again.
    std::uint32_t queue_full_retry_us = 200;
    // The sanity band (input/price_band.hpp): per symbol in table order; a symbol past the end
    // (or all of them, when empty) gets the default limits (positive prices, default jump).
    std::vector<BandLimits> bands;
    BandOptions band_options;
    // live.time "wall": a message's events (and tick_refused) are stamped with the wall clock
    // when the message was read, their receipt time, and the feed's own timestamp goes in the
    // record's tail (engine/core/exchange_time.hpp). Staleness and the sanity band still read
    // the feed's timestamps. Off ("data"): engine time is the feed's timestamp.
    bool wall_time = false;
};

// Written by the client's thread only; read by any (relaxed atomics: each is a counter or gauge
// on its own, not a consistent snapshot).
class FeedCounters {
  public:
    explicit FeedCounters(std::size_t symbol_count);

    std::atomic<std::uint64_t> messages{0};          // non-blank messages received
    std::atomic<std::uint64_t> events{0};            // events submitted (data, not status)
    std::atomic<std::uint64_t> status_events{0};     // feed_status events submitted
    std::atomic<std::uint64_t> malformed{0};         // messages refused by the parser
    std::atomic<std::uint64_t> unknown_symbols{0};   // entries for symbols outside the table
    std::atomic<std::uint64_t> connects{0};          // connections established
    std::atomic<std::uint64_t> reconnects{0};        // connection attempts after the first
    std::atomic<std::uint64_t> queue_full_waits{0};  // submits that found the queue full
    std::atomic<std::uint64_t> lost_at_stop{0};  // events still waiting for a full queue at stop
    std::atomic<std::uint64_t> ticks_refused{0};  // refused by the sanity band (journaled)
    std::atomic<bool> connected{false};
    std::array<std::atomic<std::uint64_t>, kParseErrorKinds> malformed_by_kind{};

    [[nodiscard]] std::size_t symbol_count() const noexcept { return last_receipt_ns_.size(); }
    // Unix time (ns) the symbol's last message was received; 0 = none yet.
    [[nodiscard]] std::int64_t last_receipt_unix_ns(engine::SymbolId s) const noexcept;
    [[nodiscard]] bool stale(engine::SymbolId s) const noexcept;
    // Symbols stale right now (readiness and /metrics).
    [[nodiscard]] std::uint32_t stale_count() const noexcept {
        std::uint32_t n = 0;
        for (std::size_t s = 0; s < symbol_count(); ++s)
            n += stale(static_cast<engine::SymbolId>(s)) ? 1 : 0;
        return n;
    }
    // Messages per unknown symbol name, in name order (at most kMaxUnknownNames names; the
    // rest are counted under "(other)").
    [[nodiscard]] std::vector<std::pair<std::string, std::uint64_t>> unknown_by_name() const;
    static constexpr std::size_t kMaxUnknownNames = 256;

    // The client's side.
    void set_last_receipt(engine::SymbolId s, std::int64_t unix_ns) noexcept;
    void set_stale(engine::SymbolId s, bool stale) noexcept;
    // Counts one occurrence; true the first time the name is seen (log it).
    bool count_unknown(std::string_view name);

  private:
    std::vector<std::atomic<std::int64_t>> last_receipt_ns_;
    std::vector<std::atomic<bool>> stale_;
    mutable std::mutex unknown_mutex_;  // cold: the parser found a name outside the table
    std::map<std::string, std::uint64_t, std::less<>> unknown_;
};

class FeedClient {
  public:
    using Log = std::function<void(std::string_view)>;

    // symbols: the instruments to accept (copied) and to watch for staleness. port: where the
    // events go (it must outlive the client). log: one line per call, without a newline
    // (default: "keel: feed: ..." on stderr).
    FeedClient(FeedClientOptions options, const engine::SymbolTable& symbols, InputPort& port,
               Log log = {});
    ~FeedClient();  // stop()s
    FeedClient(const FeedClient&) = delete;
    FeedClient& operator=(const FeedClient&) = delete;

    // Starts the client's thread: it connects, and keeps reconnecting until stop().
    void start();
    // Closes the connection, submits disconnected if it was connected, and joins the thread.
    void stop();

    [[nodiscard]] const FeedCounters& counters() const noexcept;
    // Before start(), at a restart: the journal's market data, in order, so each symbol's band
    // anchor is the last price the journal accepted (PriceBand::seed).
    void seed_band(const engine::Event& accepted) noexcept;
    [[nodiscard]] const FeedClientOptions& options() const noexcept;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace keel::adapters::feed
