// FeedServer: the feed simulator behind `keel feed`. It serves recorded market data (trades,
// quotes, bars) in keel's line format over plain TCP (one JSON object per line) or WebSocket
// (one text message each), paced by the recorded timestamps (speed), at a fixed rate, or as
// fast as the client reads.
//
// Every client gets its own replay from the first message, whenever it connects, so a client
// that connects after the server started misses nothing. Without loop, the server stops
// accepting once a replay has ended (all sent, or its client went away) and returns when the
// replays still running have ended too; with loop, each replay starts over (timestamps moved on
// by the data's span, so time keeps going forward) and the server runs until stopped.
//
// run() drives one io_context on the calling thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keel/adapters/feed/feed_client.hpp"
#include "keel/engine/core/event.hpp"

namespace keel::adapters::feed {

struct FeedServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;  // 0: any free port (port() says which)
    FeedProtocol protocol = FeedProtocol::tcp;
    double speed = 0;        // > 0: replay this many times faster than the recorded time
    std::uint64_t rate = 0;  // > 0: this many messages per second (speed and rate exclude)
    bool loop = false;
};

class FeedServer {
  public:
    // events: trades, quotes and bars in time order; symbol_names[id] names each symbol id.
    FeedServer(std::vector<engine::Event> events, std::vector<std::string> symbol_names,
               FeedServerOptions options);
    ~FeedServer();
    FeedServer(const FeedServer&) = delete;
    FeedServer& operator=(const FeedServer&) = delete;

    // Binds and listens; false with error set ("cannot listen on HOST:PORT: why").
    [[nodiscard]] bool listen(std::string& error);
    [[nodiscard]] std::uint16_t port() const noexcept;
    // Serves (see above) until done or stop becomes true (checked every 50 ms).
    void run(const std::atomic<bool>& stop);

    // Any thread.
    [[nodiscard]] std::uint64_t messages_sent() const noexcept;
    [[nodiscard]] std::uint64_t clients() const noexcept;  // connections accepted

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace keel::adapters::feed
