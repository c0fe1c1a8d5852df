// HttpsClient: asynchronous, keep-alive HTTP/1.1 over TLS (Boost.Beast, OpenSSL) on an
// io_context its owner drives (io.poll() from the Alpaca adapter's loop). It starts no thread
// and never blocks, except for one synchronous name resolution the first time a lane connects
// and again after a connection failed (cold: Asio's asynchronous resolver would start a thread).
//
// Lanes: each lane is one connection and a FIFO of requests, with one request in flight at a
// time (no pipelining), so a request that hangs on one lane delays nothing on another (the
// adapter sends orders on one lane and cancels and lookups on the other). A lane connects
// lazily: resolve, TCP connect, TLS handshake (peer and host-name verification, SNI), then
// writes the request and reads its answer, all under one deadline (Options::timeout).
//
// A request that fails or passes its deadline gets its Response (error, timed_out, and whether
// it had been written in full: then the server may have acted on it), and the lane's
// connection is closed and never used again: an answer that arrives late must never be read
// as the next request's. The next request in the lane's FIFO goes out on a fresh connection.
// An answer with `Connection: close`, and an idle connection the server has closed (or sent
// anything on), are not reused either.
//
// When callbacks run: never inside request(); from the io_context's handlers (io.poll(),
// io.run_one_for()), and from inside close() for everything close() fails. The request's bytes
// are handed to the socket inside request() when its lane has an open idle connection, else by
// the polls that complete the connection. Error texts name the step and the system's reason,
// never a header value (the API keys travel in headers) or a body.
//
// Not thread-safe: one thread, the one that drives the io_context, calls everything. The
// io_context must outlive the client.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace keel::adapters::http {

class HttpsClient {
  public:
    struct Options {
        std::string host;
        std::string port = "443";
        std::string ca_file;                      // empty: the system's CA store
        std::chrono::milliseconds timeout{5000};  // connect + handshake + write + read
        std::size_t lanes = 2;
        // Sent with every request (the API keys); never logged, never in an error text.
        std::vector<std::pair<std::string, std::string>> headers;
        std::string user_agent = "keel";
        std::size_t body_limit = 1 << 20;  // a longer answer is an error
        std::size_t max_queued = 4096;     // per lane; beyond it a request fails "queue full"
    };

    struct Response {
        unsigned status = 0;  // 0: no answer (error says why)
        std::string body;
        // The X-Ratelimit-* headers, when present and numeric.
        std::optional<std::int64_t> ratelimit_limit, ratelimit_remaining, ratelimit_reset;
        std::string retry_after;  // the Retry-After header, as sent
        std::string error;        // why there was no answer; never a header value
        bool timed_out = false;   // the deadline passed first
        // The request was written in full before it failed (for close(): its write had
        // started): the server may have processed it. False: it certainly did not.
        bool written = false;
        std::chrono::nanoseconds elapsed{};  // from leaving the lane's queue to the outcome
    };
    using Callback = std::function<void(Response&&)>;

    // Start-up: throws std::runtime_error when ca_file cannot be loaded.
    HttpsClient(boost::asio::io_context& io, Options options);
    // Closes every connection; callbacks of what is still queued are dropped, not called.
    ~HttpsClient();
    HttpsClient(const HttpsClient&) = delete;
    HttpsClient& operator=(const HttpsClient&) = delete;

    // Queues one request on lane (< Options::lanes) and starts it if the lane is idle. target
    // is the path and query; a non-empty body is sent as application/json. done is called
    // exactly once (see "When callbacks run" above).
    void request(std::size_t lane, boost::beast::http::verb verb, std::string target,
                 std::string body, Callback done);

    // Requests on lane not yet answered: waiting plus the one in flight.
    [[nodiscard]] std::size_t queued(std::size_t lane) const;
    [[nodiscard]] std::size_t lanes() const noexcept;
    // Connections opened so far (TCP connects attempted), over every lane.
    [[nodiscard]] std::uint64_t connects() const noexcept;

    // Fails every request queued or in flight with error "closed" (the one in flight is
    // reported written once its write had started: its bytes may have left, and the server may
    // act on them), calling their callbacks before it returns, and closes
    // every connection at once (no TLS close_notify). The client stays usable: a request made
    // later, even from one of those callbacks, connects again.
    void close();

  private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace keel::adapters::http
