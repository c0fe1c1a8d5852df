// WssClient: an asynchronous WebSocket client over TLS (Boost.Beast, OpenSSL) on an io_context
// its owner drives (io.poll() from the Alpaca adapter's loop): the trade_updates stream. It
// starts no thread and never blocks, except for one synchronous name resolution at the first
// open and again after a connect failed (cold: Asio's asynchronous resolver starts a thread).
//
// open() connects (TCP, TLS with peer and host-name verification and SNI, the WebSocket
// upgrade) under one deadline, Options::connect_timeout, then calls on_open; every message the
// server sends, in a text or a binary frame (Alpaca's paper stream sends its JSON in binary
// frames), reaches on_message; the first failure, or the server's close, ends the connection
// with one on_close(why), after which open() may be called again (reconnecting, and when, is
// the caller's decision). A connection that goes quiet is pinged after half of
// Options::idle_timeout and closed ("timed out") when nothing at all arrives for the whole of
// it, so a dead peer is noticed; the server's pings are answered.
//
// When handlers run: from the io_context's handlers only, never inside open(), send() or
// close(). A handler may call any member, open() included (from on_close). close() is the
// caller's own decision, so it is not reported through on_close.
//
// Error texts name the step and the system's reason (or the server's close code and reason),
// never the target or a message.
//
// Not thread-safe: one thread, the one that drives the io_context, calls everything. The
// io_context must outlive the client.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace keel::adapters::http {

class WssClient {
  public:
    struct Options {
        std::string host;
        std::string port = "443";
        std::string target = "/";
        std::string ca_file;                              // empty: the system's CA store
        std::chrono::milliseconds connect_timeout{5000};  // TCP + TLS + the WebSocket upgrade
        // Silence after which the connection is given up; a ping goes out after half of it.
        std::chrono::milliseconds idle_timeout{20000};
        std::size_t max_message = 1 << 20;  // a longer message closes the connection
    };

    struct Handlers {
        std::function<void()> on_open;
        // payload is valid only during the call.
        std::function<void(std::string_view payload, bool binary)> on_message;
        std::function<void(std::string why)> on_close;
    };

    // Start-up: throws std::runtime_error when ca_file cannot be loaded.
    WssClient(boost::asio::io_context& io, Options options);
    // Closes the connection; no handler runs after this.
    ~WssClient();
    WssClient(const WssClient&) = delete;
    WssClient& operator=(const WssClient&) = delete;

    // Starts connecting. Exactly one of on_open (then later on_close, unless close() comes
    // first) or on_close follows. Call only while closed (a programmer error otherwise).
    void open(Handlers handlers);
    // Queues one text message; one write is in flight at a time, in order. False (and
    // nothing sent) when not open or when kMaxQueued messages are already waiting.
    bool send(std::string text);
    // Closes the connection at once (no close handshake); nothing queued is sent and no
    // handler of this connection runs again. Nothing happens when already closed.
    void close();
    [[nodiscard]] bool is_open() const noexcept;
    [[nodiscard]] bool is_closed() const noexcept;  // neither open nor connecting

    static constexpr std::size_t kMaxQueued = 1024;

  private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace keel::adapters::http
