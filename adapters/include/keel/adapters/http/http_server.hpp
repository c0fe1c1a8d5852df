// HttpServer: the HTTP/1.1 server the webhook receiver and the control API run on (Boost.Beast's
// parser over blocking Asio sockets). It owns its threads, so no HTTP work ever runs on a
// pipeline core: an accept thread, one worker thread per open connection (kept and reused for
// later connections, at most max_connections), a sweep thread for deadlines, and `threads`
// threads for handler work on executor(). A worker reads each request under limits (body size,
// header size, header and whole-request timeouts), hands the complete request to the Handler,
// waits for its answer (at once when the handler answers on the worker, as the webhook usually
// does) and writes it, keeping the connection alive when the client asks to. Blocking reads
// answer a request the moment it arrives: no readiness wait, no hand-off between threads.
// Every error it answers itself uses the JSON error body of http_error.hpp.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "keel/adapters/http/http_message.hpp"
#include "keel/engine/core/event.hpp"

namespace keel::adapters::http {

// An error the server answered itself, before or instead of the handler.
struct Refusal {
    unsigned status = 0;
    engine::ApiCode code = engine::ApiCode::ok;
    engine::HttpMethod method = engine::HttpMethod::other;
    std::uint32_t remote_ipv4 = 0;  // host byte order; 0 when not IPv4
    std::string_view target;        // empty when the request line was not read
};

struct ServerOptions {
    std::string host = "127.0.0.1";  // loopback unless configured otherwise
    std::uint16_t port = 0;          // 0: any free port (ask bound_port())
    unsigned threads = 1;            // threads running handler work posted on executor()
    // A Content-Length or streamed body past this is answered 413 at once, never buffered.
    std::size_t max_body_bytes = 64 * 1024;
    std::size_t max_header_bytes = 8 * 1024;  // request line plus headers; past it: 431
    // From the moment the server waits for a request (a new connection, or the next request on
    // a kept-alive one) until its headers are complete. It also bounds keep-alive idle time.
    std::chrono::milliseconds header_timeout{10'000};
    // From the same moment until the body is complete. A client that trickles bytes is cut
    // off by these two, however slowly it keeps sending.
    std::chrono::milliseconds request_timeout{30'000};
    // Connections past this get 503 busy and are closed. Each open connection has a worker
    // thread; workers stay for reuse until stop().
    std::size_t max_connections = 256;
    // At most this many open connections from one peer address (0: min(32, max_connections)).
    // When an address is at its cap, or the server at max_connections, a connection waiting
    // idle for its next request (kept alive) is closed to make room before anyone is refused:
    // from that address first, else from the address holding the most. So one client cannot
    // starve the others by holding connections open.
    std::size_t max_connections_per_address = 0;
    // A handler that has not answered by then gets the server's own 503 timeout answer; its
    // late answer is dropped. Handlers with a deadline of their own (the webhook's 2.5 s) keep
    // it below this.
    std::chrono::milliseconds handler_deadline{3'000};
    // stop(): how long in-flight requests get to be answered before connections are cut.
    std::chrono::milliseconds stop_grace{3'500};
    // Told of every error the server answers itself (413, 431, 400, 503 busy, 503 timeout), on
    // a connection's worker or the accept thread, e.g. to journal an audit event. Optional.
    std::function<void(const Refusal&)> on_refused;
};

enum class ServerError : std::uint8_t {
    none = 0,
    bad_address,        // host is not an IP address
    address_in_use,     // another process listens there
    permission_denied,  // e.g. a port below 1024 without the capability
    other,
};

struct StartResult {
    ServerError error = ServerError::none;
    std::string message;  // what failed and where ("listen on 127.0.0.1:80: permission denied")
    [[nodiscard]] bool ok() const noexcept { return error == ServerError::none; }
};

class HttpServer {
  public:
    HttpServer(ServerOptions options, Handler handler);
    ~HttpServer();  // stops if still running
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds, listens and starts its threads. A bind failure comes back as a value; no
    // exception escapes. A server starts once.
    [[nodiscard]] StartResult start();
    // Closes the listener and idle connections, lets in-flight requests be answered (the
    // handler deadline bounds them) for up to stop_grace, then cuts what is left and joins the
    // threads. Pending handler work queued on executor() is destroyed. Idempotent.
    void stop();

    // The port actually bound (after a successful start()).
    [[nodiscard]] std::uint16_t bound_port() const noexcept { return bound_port_; }
    // The executor of the server's handler io_context (run by `threads` threads), for handlers
    // that answer later and need timers (the webhook receiver polls journal durability with
    // one). Valid from construction until stop(), which destroys the io_context.
    [[nodiscard]] boost::asio::any_io_executor executor() const;
    // Connections open right now.
    [[nodiscard]] std::size_t connections() const;

    struct Counters {
        std::atomic<std::uint64_t> requests{0};
        std::atomic<std::uint64_t> body_too_large{0};
        std::atomic<std::uint64_t> header_too_large{0};
        std::atomic<std::uint64_t> timed_out{0};    // a request not complete in time: cut off
        std::atomic<std::uint64_t> idle_closed{0};  // a kept-alive connection idle too long
        std::atomic<std::uint64_t> busy{0};         // refused past a connection cap (503)
        std::atomic<std::uint64_t> address_busy{0};  // of those, past the per-address cap
        std::atomic<std::uint64_t> idle_evicted{0};  // idle connections closed to make room
        std::atomic<std::uint64_t> handler_timeouts{0};
        std::atomic<std::uint64_t> bad_requests{0};
    };
    [[nodiscard]] const Counters& counters() const noexcept { return counters_; }
    // Connections waiting for their next request right now (idle, so make way at a cap).
    [[nodiscard]] std::size_t waiting_connections() const;

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
    std::vector<std::thread> threads_;
    Counters counters_;
    std::uint16_t bound_port_ = 0;
    bool started_ = false;
    bool stopped_ = false;
};

[[nodiscard]] std::string_view to_string(ServerError e) noexcept;

}  // namespace keel::adapters::http
