#include "keel/adapters/http/http_server.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "keel/adapters/http/http_error.hpp"
#include "keel/assert.hpp"
#include "wire.hpp"

namespace keel::adapters::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using engine::ApiCode;

std::string_view to_string(ServerError e) noexcept {
    switch (e) {
        case ServerError::none:
            return "none";
        case ServerError::bad_address:
            return "bad_address";
        case ServerError::address_in_use:
            return "address_in_use";
        case ServerError::permission_denied:
            return "permission_denied";
        case ServerError::other:
            return "other";
    }
    return "other";
}

namespace {

constexpr std::int64_t kNever = INT64_MAX;

std::int64_t now_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::int64_t ns(std::chrono::milliseconds d) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

// One request's answer, handed from whatever thread the handler answers on to the worker that
// waits for it. A Respond holds the slot, never the worker, so it is safe to call at any time;
// an answer for an earlier request (a late one, after the deadline) is dropped by generation.
struct Slot {
    std::mutex mu;
    std::condition_variable cv;
    std::uint64_t generation = 0;
    bool open = false;       // the current request still takes an answer
    bool cancelled = false;  // stop() cut the connection
    std::optional<HttpResponse> answer;
};

// Writes an answer as one gather write: the head from append_response_head, then the body.
// The peer of a connection: its IPv4 address in host byte order (0 when not IPv4; an IPv4
// client of an IPv6 listener counts as IPv4) and its address as text.
struct Peer {
    std::uint32_t ipv4 = 0;
    std::string text;
};
Peer peer_of(const tcp::socket& socket) {
    Peer p;
    beast::error_code ec;
    const tcp::endpoint ep = socket.remote_endpoint(ec);
    if (ec)
        return p;
    net::ip::address a = ep.address();
    if (a.is_v6() && a.to_v6().is_v4_mapped())
        a = net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6());
    if (a.is_v4())
        p.ipv4 = a.to_v4().to_uint();
    p.text = a.to_string();
    return p;
}

// An answer to HEAD carries the headers of the body it would have, not the body.
void write_answer(tcp::socket& socket, std::string& head, const HttpResponse& res, bool keep_alive,
                  bool http10, bool head_only, beast::error_code& ec) {
    head.clear();
    append_response_head(head, res, keep_alive, http10);
    const std::array<net::const_buffer, 2> bufs{
        net::buffer(head), net::buffer(res.body.data(), head_only ? 0 : res.body.size())};
    net::write(socket, bufs, ec);
}

}  // namespace

// A connection is served by one worker thread with blocking reads and writes: the request is
// read the moment it arrives, with no readiness wait and no hop between threads when the
// handler answers at once (the webhook receiver usually does). Workers are kept and reused
// for later connections, up to max_connections of them. Deadlines are enforced by a sweep
// thread that shuts a late connection's socket down, which ends the worker's blocked read or
// write; the handler deadline by the worker's own timed wait for the answer.
struct HttpServer::Impl {
    class Worker;

    Impl(ServerOptions o, Handler h, Counters& c)
        : options(std::move(o)), handler(std::move(h)), counters(c), ioc(std::in_place) {
        if (options.max_connections_per_address == 0)
            options.max_connections_per_address = std::min<std::size_t>(32, options.max_connections);
        acceptor.emplace(socket_ioc);
        // Fine enough that the shortest timeout fires within an eighth of itself late.
        const auto shortest = std::min(options.header_timeout, options.request_timeout);
        sweep_every =
            std::clamp(shortest / 8, std::chrono::milliseconds(1), std::chrono::milliseconds(100));
    }

    void accept_loop();
    // Under mu: makes room for a connection from `address`, closing an idle kept-alive
    // connection first; false when it must be refused (503 busy), with why.
    bool make_room(const std::string& address, std::string& why);
    Worker* idle_connection(const std::string* address);
    void sweep_loop();
    void reject_busy(tcp::socket& socket, const std::string& why);
    void begin_stop();
    void finish_stop();
    void worker_done(Worker& w);

    ServerOptions options;
    Handler handler;
    Counters& counters;
    // Sockets are opened on an io_context nobody runs: every operation on them is blocking, so
    // no reactor thread is ever woken for their readiness.
    net::io_context socket_ioc;
    std::optional<tcp::acceptor> acceptor;
    // Handler work (timers, durability polls) runs here, on `threads` threads.
    std::optional<net::io_context> ioc;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
    std::chrono::milliseconds sweep_every{100};
    std::atomic<bool> stopping{false};
    std::thread accept_thread;
    std::thread sweep_thread;

    std::mutex mu;  // guards what follows, and every worker's socket hand-over and cut
    std::condition_variable stop_cv;  // wakes the sweep, and stop() waiting for the grace
    bool sweep_quit = false;
    std::list<Worker> workers;  // every worker ever started, until stop()
    std::vector<Worker*> idle;  // workers waiting for a connection
    std::size_t live = 0;       // connections being served
    std::size_t evicting = 0;   // of those, idle ones cut to make room, not yet closed
    std::map<std::string, std::size_t, std::less<>> per_address;  // live, by peer address
};

class HttpServer::Impl::Worker {
  public:
    explicit Worker(Impl& server) : server_(server), slot_(std::make_shared<Slot>()) {}

    // Under server_.mu: hand over a connection (the worker is idle).
    void assign(tcp::socket&& socket, std::string address) {
        pending_.emplace(std::move(socket));
        fd_ = pending_->native_handle();
        address_ = std::move(address);
        cv_.notify_one();
    }
    // Under server_.mu.
    [[nodiscard]] const std::string& address() const noexcept { return address_; }
    [[nodiscard]] bool waiting() const noexcept { return fd_ >= 0 && phase_.load() == Phase::waiting; }
    // Under server_.mu: closes a kept-alive connection waiting for its next request, to make
    // room for another; false when it was no longer waiting.
    bool evict() {
        Phase waiting = Phase::waiting;
        if (!phase_.compare_exchange_strong(waiting, Phase::cut))
            return false;
        evicted_ = true;
        cut();
        return true;
    }
    // Under server_.mu (worker_done): whether it was evicted, clearing the mark.
    bool take_evicted() noexcept { return std::exchange(evicted_, false); }
    void start() {
        thread_ = std::thread([this] { run(); });
    }
    // Under server_.mu: the connection assigned to a worker whose thread did not start.
    tcp::socket take_pending() {
        tcp::socket s = std::move(*pending_);
        pending_.reset();
        fd_ = -1;
        return s;
    }
    // Under server_.mu.
    void quit() {
        quit_ = true;
        cv_.notify_one();
    }
    void join() {
        if (thread_.joinable())
            thread_.join();
    }

    // Under server_.mu (the sweep): a read, write or drain past its deadline is cut off.
    void sweep(std::int64_t now) {
        const Phase p = phase_.load();
        if (now < deadline_ns_.load(std::memory_order_relaxed))
            return;
        if (p == Phase::reading || p == Phase::waiting)
            cut_reading();
        else if (p == Phase::writing || p == Phase::draining)
            cut();
    }
    // Under server_.mu (stop): a connection with no request in hand closes now.
    void cut_if_waiting() {
        const Phase p = phase_.load();
        if (p == Phase::reading || p == Phase::waiting)
            cut_reading();
        else if (p == Phase::draining)
            cut();
    }
    // Under server_.mu (stop, once the grace is over): whatever it was doing.
    void cut_all() {
        if (fd_ < 0)
            return;
        cut();
        std::lock_guard lk(slot_->mu);
        slot_->cancelled = true;
        slot_->cv.notify_all();
    }

  private:
    // reading -> handling and reading -> cut are compare-exchanges: a request read in full
    // as its deadline passes (or as stop() begins) is either handed to the handler and
    // answered, or cut off and never handed over, not both.
    // waiting: a connection with no request bytes yet (a new one, or kept alive between
    // requests), which make_room may close for another; reading: a request has begun.
    enum class Phase : std::uint8_t { idle, waiting, reading, handling, writing, draining, cut };
    enum class Close { no, now, drain };

    void run() {
        for (;;) {
            {
                std::unique_lock lk(server_.mu);
                cv_.wait(lk, [&] { return pending_.has_value() || quit_; });
                if (!pending_)
                    return;
                socket_.emplace(std::move(*pending_));
                pending_.reset();
            }
            serve();
            {
                std::lock_guard lk(server_.mu);
                // Closed under the lock: the sweep shuts sockets down by descriptor, which must
                // not be reused by another connection while it looks.
                beast::error_code ec;
                socket_->close(ec);
                socket_.reset();
                fd_ = -1;
                server_.worker_done(*this);
            }
        }
    }

    void serve() {
        cut_.store(false);
        buffer_.clear();
        beast::error_code ec;
        // Answers are single writes; Nagle would only hold back the 100 Continue case.
        socket_->set_option(tcp::no_delay(true), ec);
        Peer peer = peer_of(*socket_);
        remote_ipv4_ = peer.ipv4;
        remote_ = std::move(peer.text);
        while (serve_one()) {
        }
        set_phase(Phase::idle, kNever);
        socket_->shutdown(tcp::socket::shutdown_both, ec);
    }

    // One request and its answer; false when the connection is done.
    bool serve_one() {
        const ServerOptions& o = server_.options;
        const std::int64_t now = now_ns();
        const std::int64_t request_deadline = now + ns(o.request_timeout);
        const std::int64_t header_deadline = now + ns(std::min(o.header_timeout, o.request_timeout));
        beast::error_code ec;
        if (buffer_.size() == 0) {
            // Nothing of the next request yet: wait for its first byte as `waiting`, so the
            // server may close this idle connection to make room (make_room).
            set_phase(Phase::waiting, header_deadline);
            if (server_.stopping.load())
                return false;
            socket_->wait(tcp::socket::wait_read, ec);
            Phase waiting = Phase::waiting;
            if (ec || !phase_.compare_exchange_strong(waiting, Phase::reading))
                return on_idle_end();
        } else {
            set_phase(Phase::reading, header_deadline);
        }
        // After publishing the phase, so stop() either sees it or this sees stopping.
        if (server_.stopping.load())
            return false;
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(o.max_header_bytes));
        parser_->body_limit(o.max_body_bytes);
        bhttp::read_header(*socket_, buffer_, *parser_, ec);
        // Known once the request line is read (before any error in the fields).
        head_only_ = parser_->request().method == engine::HttpMethod::head;
        http10_ = parser_->version() == 10;
        if (ec)
            return on_read_error(ec);
        deadline_ns_.store(request_deadline, std::memory_order_relaxed);
        if (!parser_->is_done()) {
            // (HTTP/1.0 has no 100 Continue: such a client sends its body regardless.)
            if (parser_->expects_continue() && parser_->version() >= 11) {
                // curl and others wait for this before sending a larger body.
                static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
                net::write(*socket_, net::buffer(kContinue.data(), kContinue.size()), ec);
                if (ec)
                    return false;
            }
            bhttp::read(*socket_, buffer_, *parser_, ec);
            if (ec)
                return on_read_error(ec);
        }
        return on_request();
    }

    // An idle connection ended while waiting for a request: the client left, the sweep closed
    // it (idle too long), make_room evicted it, or stop() cut it.
    bool on_idle_end() {
        if (cut_.load() && !evicted_ && !server_.stopping.load())
            server_.counters.idle_closed.fetch_add(1, std::memory_order_relaxed);
        return false;
    }

    bool on_read_error(beast::error_code ec) {
        const ServerOptions& o = server_.options;
        if (ec == bhttp::error::body_limit) {
            server_.counters.body_too_large.fetch_add(1, std::memory_order_relaxed);
            report(413, ApiCode::body_too_large);
            return write(error_response(413, ApiCode::body_too_large,
                                        "request body is larger than max_body_bytes (" +
                                            std::to_string(o.max_body_bytes) + " bytes)"),
                         Close::drain);
        }
        if (ec == bhttp::error::header_limit) {
            server_.counters.header_too_large.fetch_add(1, std::memory_order_relaxed);
            report(431, ApiCode::bad_field);
            return write(error_response(431, ApiCode::bad_field,
                                        "request headers are larger than max_header_bytes (" +
                                            std::to_string(o.max_header_bytes) + " bytes)"),
                         Close::drain);
        }
        if (cut_.load()) {
            // A client too slow to send its request (slowloris) is cut off without an answer:
            // writing to it could block as long as its reads do. A kept-alive connection that
            // sent nothing at all was merely idle. (Cut by stop(): neither.)
            if (!server_.stopping.load()) {
                const bool idle = buffer_.size() == 0 && !(parser_ && parser_->got_some());
                (idle ? server_.counters.idle_closed : server_.counters.timed_out)
                    .fetch_add(1, std::memory_order_relaxed);
            }
            return false;
        }
        if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
            ec == net::error::connection_reset || ec == bhttp::error::partial_message ||
            ec == net::error::operation_aborted) {
            return false;
        }
        server_.counters.bad_requests.fetch_add(1, std::memory_order_relaxed);
        report(400, ApiCode::bad_field);
        return write(
            error_response(400, ApiCode::bad_field, "malformed HTTP request: " + ec.message()),
            Close::drain);
    }

    bool on_request() {
        Phase reading = Phase::reading;
        if (!phase_.compare_exchange_strong(reading, Phase::handling)) {
            if (!server_.stopping.load())
                server_.counters.timed_out.fetch_add(1, std::memory_order_relaxed);
            return false;  // cut just as it completed
        }
        server_.counters.requests.fetch_add(1, std::memory_order_relaxed);
        const bool keep_alive = parser_->keep_alive();
        HttpRequest r = std::move(parser_->request());
        r.remote_ipv4 = remote_ipv4_;
        r.remote = remote_;
        // Kept for a refusal after the handler has the request (503 timeout names its target).
        handed_method_ = r.method;
        handed_target_.assign(r.target);
        parser_.reset();

        const std::int64_t deadline = now_ns() + ns(server_.options.handler_deadline);
        deadline_ns_.store(deadline, std::memory_order_relaxed);
        std::uint64_t gen = 0;
        {
            std::lock_guard lk(slot_->mu);
            gen = ++slot_->generation;
            slot_->open = true;
            slot_->answer.reset();
        }
        Respond respond = [slot = slot_, gen](HttpResponse res) {
            std::lock_guard lk(slot->mu);
            if (slot->generation != gen || !slot->open)
                return;  // answered already, or the deadline beat this late answer
            slot->open = false;
            slot->answer.emplace(std::move(res));
            slot->cv.notify_all();
        };
        try {
            server_.handler(std::move(r), std::move(respond));
        } catch (const std::exception& e) {
            std::lock_guard lk(slot_->mu);
            if (slot_->open) {
                slot_->open = false;
                slot_->answer.emplace(error_response(
                    503, ApiCode::busy, std::string("the handler failed: ") + e.what()));
            }
        }

        std::optional<HttpResponse> answer;
        {
            std::unique_lock lk(slot_->mu);
            const auto until =
                std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline));
            slot_->cv.wait_until(lk, until,
                                 [&] { return slot_->answer.has_value() || slot_->cancelled; });
            if (slot_->cancelled)
                return false;
            slot_->open = false;  // a late answer is dropped from here on
            answer.swap(slot_->answer);
        }
        if (!answer) {
            server_.counters.handler_timeouts.fetch_add(1, std::memory_order_relaxed);
            report(503, ApiCode::timeout);
            answer.emplace(error_response(503, ApiCode::timeout,
                                          "the request was not answered within "
                                          "handler_deadline"));
        }
        const bool close_after = !keep_alive || server_.stopping.load();
        return write(std::move(*answer), close_after ? Close::now : Close::no);
    }

    // Writes the answer; true when the connection goes on to its next request.
    bool write(HttpResponse res, Close how) {
        set_phase(Phase::writing, now_ns() + ns(server_.options.request_timeout));
        beast::error_code ec;
        write_answer(*socket_, head_, res, how == Close::no, http10_, head_only_, ec);
        if (ec || how == Close::now)
            return false;
        if (how == Close::drain)
            drain();
        return how == Close::no;
    }

    // After an error answer the client may still be sending a body we refused. Closing with
    // unread bytes makes the kernel reset the connection, which can destroy our answer before
    // the client reads it; so stop sending, read and discard (into a small buffer, never the
    // whole body) until the client closes or the header timeout passes.
    void drain() {
        beast::error_code ec;
        socket_->shutdown(tcp::socket::shutdown_send, ec);
        set_phase(Phase::draining, now_ns() + ns(server_.options.header_timeout));
        // After publishing the phase, so stop() either cuts this drain or it sees stopping.
        if (server_.stopping.load())
            return;
        while (!ec)
            socket_->read_some(net::buffer(discard_), ec);
    }

    // Tells on_refused (if set) about an error answered by the server itself.
    void report(unsigned status, ApiCode code) {
        if (!server_.options.on_refused)
            return;
        Refusal r;
        r.status = status;
        r.code = code;
        r.remote_ipv4 = remote_ipv4_;
        // The request line is parsed before any header field, so the target is known even
        // when a field (e.g. a Content-Length past the limit) stopped the parse.
        if (parser_) {
            r.method = parser_->request().method;
            r.target = parser_->request().target;
        } else {
            r.method = handed_method_;
            r.target = handed_target_;
        }
        server_.options.on_refused(r);
    }

    // Under server_.mu: cuts a connection waiting for a request or still reading one.
    void cut_reading() {
        for (const Phase from : {Phase::waiting, Phase::reading}) {
            Phase p = from;
            if (phase_.compare_exchange_strong(p, Phase::cut)) {
                cut();
                return;
            }
        }
    }
    void set_phase(Phase p, std::int64_t deadline_ns) noexcept {
        deadline_ns_.store(deadline_ns, std::memory_order_relaxed);
        phase_.store(p);
    }
    // Under server_.mu, with the socket open.
    void cut() {
        if (fd_ < 0)
            return;
        cut_.store(true);
        ::shutdown(fd_, SHUT_RDWR);
    }

    Impl& server_;
    std::thread thread_;
    std::condition_variable cv_;          // with server_.mu: a connection or quit
    std::optional<tcp::socket> pending_;  // under server_.mu
    int fd_ = -1;                         // under server_.mu: the socket being served
    bool quit_ = false;                   // under server_.mu
    std::string address_;                 // under server_.mu: the peer's address
    bool evicted_ = false;                // under server_.mu: closed by make_room
    std::optional<tcp::socket> socket_;   // the worker's own
    std::atomic<Phase> phase_{Phase::idle};
    std::atomic<std::int64_t> deadline_ns_{kNever};
    std::atomic<bool> cut_{false};
    std::shared_ptr<Slot> slot_;
    std::uint32_t remote_ipv4_ = 0;
    std::string remote_;
    beast::flat_buffer buffer_;
    std::optional<RequestParser> parser_;  // the request being read; reset once handed over
    engine::HttpMethod handed_method_ = engine::HttpMethod::other;
    std::string handed_target_;
    std::string head_;        // the answer's status line and headers, reused
    bool head_only_ = false;  // a HEAD request: its answer has no body
    bool http10_ = false;     // an HTTP/1.0 client: keep-alive is said, not assumed
    std::array<char, 4096> discard_{};
};

void HttpServer::Impl::worker_done(Worker& w) {
    idle.push_back(&w);
    if (const auto it = per_address.find(w.address()); it != per_address.end() && --it->second == 0)
        per_address.erase(it);
    if (w.take_evicted())
        --evicting;
    if (--live == 0)
        stop_cv.notify_all();
}

void HttpServer::Impl::accept_loop() {
    for (;;) {
        tcp::socket socket(socket_ioc);
        beast::error_code ec;
        acceptor->accept(socket, ec);
        if (stopping.load())
            return;
        if (ec) {
            // Out of descriptors or memory: that connection is lost; pause so a full table
            // does not turn this loop into a spin, and keep serving.
            if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
                ec == net::error::no_memory) {
                std::unique_lock lk(mu);
                stop_cv.wait_for(lk, std::chrono::milliseconds(10));
            }
            continue;
        }
        std::string address = peer_of(socket).text;
        std::unique_lock lk(mu);
        if (std::string why; !make_room(address, why)) {
            lk.unlock();
            reject_busy(socket, why);
            continue;
        }
        ++live;
        ++per_address[address];
        Worker* w = nullptr;
        if (!idle.empty()) {
            w = idle.back();
            idle.pop_back();
            w->assign(std::move(socket), std::move(address));
        } else {
            w = &workers.emplace_back(*this);
            w->assign(std::move(socket), std::move(address));
            try {
                w->start();
            } catch (const std::system_error&) {
                // No thread to be had (a process or memory limit): this connection gets the
                // busy answer instead, and the server goes on with the workers it has.
                tcp::socket back = w->take_pending();
                if (const auto it = per_address.find(w->address());
                    it != per_address.end() && --it->second == 0)
                    per_address.erase(it);
                workers.pop_back();
                --live;
                lk.unlock();
                reject_busy(back, "no thread for another connection");
            }
        }
    }
}

HttpServer::Impl::Worker* HttpServer::Impl::idle_connection(const std::string* address) {
    // From the given address; else from the address holding the most connections, so that
    // the client crowding the server gives way first.
    Worker* best = nullptr;
    std::size_t best_count = 0;
    for (Worker& w : workers) {
        if (!w.waiting() || (address != nullptr && w.address() != *address))
            continue;
        const auto it = per_address.find(w.address());
        const std::size_t n = it == per_address.end() ? 0 : it->second;
        if (best == nullptr || n > best_count) {
            best = &w;
            best_count = n;
        }
    }
    return best;
}

bool HttpServer::Impl::make_room(const std::string& address, std::string& why) {
    const auto it = per_address.find(address);
    const std::size_t from_address = it == per_address.end() ? 0 : it->second;
    const bool address_full = from_address >= options.max_connections_per_address;
    const bool server_full = live - evicting >= options.max_connections;
    if (!address_full && !server_full)
        return true;
    // Idle kept-alive connections give way first: from this address when it is at its cap,
    // else from whichever address holds the most.
    for (Worker* w = idle_connection(address_full ? &address : nullptr); w != nullptr;
         w = idle_connection(address_full ? &address : nullptr)) {
        if (w->evict()) {
            ++evicting;
            counters.idle_evicted.fetch_add(1, std::memory_order_relaxed);
            return true;
        }
    }
    if (address_full) {
        counters.address_busy.fetch_add(1, std::memory_order_relaxed);
        why = "too many connections from " + address + " (max_connections_per_address " +
              std::to_string(options.max_connections_per_address) + ")";
    } else {
        why = "too many connections (max_connections " + std::to_string(options.max_connections) +
              ")";
    }
    return false;
}

// Past a connection cap: one 503, then close. The answer is small enough for an empty socket
// buffer, so the write does not wait for the client.
void HttpServer::Impl::reject_busy(tcp::socket& socket, const std::string& why) {
    counters.busy.fetch_add(1, std::memory_order_relaxed);
    if (options.on_refused) {
        Refusal r;
        r.status = 503;
        r.code = ApiCode::busy;
        r.remote_ipv4 = peer_of(socket).ipv4;
        options.on_refused(r);
    }
    const HttpResponse res = error_response(503, ApiCode::busy, why);
    std::string head;
    beast::error_code ec;
    socket.non_blocking(true, ec);
    write_answer(socket, head, res, false, false, false, ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
}

void HttpServer::Impl::sweep_loop() {
    std::unique_lock lk(mu);
    while (!sweep_quit) {
        stop_cv.wait_for(lk, sweep_every);
        const std::int64_t now = now_ns();
        for (Worker& w : workers)
            w.sweep(now);
    }
}

void HttpServer::Impl::begin_stop() {
    stopping.store(true);
    // Ends the blocked accept (Linux answers a shut-down listener's accept with an error).
    beast::error_code ec;
    ::shutdown(acceptor->native_handle(), SHUT_RDWR);
    if (accept_thread.joinable())
        accept_thread.join();
    acceptor->close(ec);
    std::lock_guard lk(mu);
    for (Worker& w : workers)
        w.cut_if_waiting();
}

void HttpServer::Impl::finish_stop() {
    {
        std::unique_lock lk(mu);
        stop_cv.wait_for(lk, options.stop_grace, [&] { return live == 0; });
        for (Worker& w : workers) {
            w.cut_all();
            w.quit();
        }
        sweep_quit = true;
        stop_cv.notify_all();
    }
    for (Worker& w : workers)
        w.join();
    if (sweep_thread.joinable())
        sweep_thread.join();
}

HttpServer::HttpServer(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), counters_)) {
    KEEL_ASSERT(impl_->handler != nullptr, "HttpServer needs a handler");
    KEEL_ASSERT(impl_->options.threads >= 1, "HttpServer needs at least one thread");
}

std::size_t HttpServer::waiting_connections() const {
    std::lock_guard lk(impl_->mu);
    std::size_t n = 0;
    for (const Impl::Worker& w : impl_->workers)
        n += w.waiting() ? 1 : 0;
    return n;
}

HttpServer::~HttpServer() {
    stop();
}

StartResult HttpServer::start() {
    KEEL_ASSERT(!started_, "an HttpServer starts once");
    started_ = true;
    const ServerOptions& o = impl_->options;
    const std::string where = "listen on " + o.host + ":" + std::to_string(o.port);
    beast::error_code ec;
    const net::ip::address addr = net::ip::make_address(o.host, ec);
    if (ec)
        return {ServerError::bad_address, where + ": '" + o.host + "' is not an IP address"};
    const tcp::endpoint ep(addr, o.port);
    tcp::acceptor& acc = *impl_->acceptor;
    auto fail = [&](const char* step) -> StartResult {
        beast::error_code ignored;
        acc.close(ignored);
        ServerError e = ServerError::other;
        std::string hint;
        if (ec == net::error::address_in_use) {
            e = ServerError::address_in_use;
            hint = " (another process is listening there)";
        } else if (ec == net::error::access_denied) {
            e = ServerError::permission_denied;
            hint = " (ports below 1024 need privileges)";
        } else if (ec == boost::system::errc::address_not_available) {
            e = ServerError::bad_address;
            hint = " (no local interface has that address)";
        }
        return {e, where + ": " + step + ": " + ec.message() + hint};
    };
    if (acc.open(ep.protocol(), ec); ec)
        return fail("open");
    if (acc.set_option(net::socket_base::reuse_address(true), ec); ec)
        return fail("set SO_REUSEADDR");
    if (acc.bind(ep, ec); ec)
        return fail("bind");
    if (acc.listen(net::socket_base::max_listen_connections, ec); ec)
        return fail("listen");
    bound_port_ = acc.local_endpoint(ec).port();
    impl_->work.emplace(impl_->ioc->get_executor());
    threads_.reserve(o.threads);
    for (unsigned i = 0; i < o.threads; ++i)
        threads_.emplace_back([this] { impl_->ioc->run(); });
    impl_->sweep_thread = std::thread([this] { impl_->sweep_loop(); });
    impl_->accept_thread = std::thread([this] { impl_->accept_loop(); });
    return {};
}

void HttpServer::stop() {
    if (stopped_)
        return;
    stopped_ = true;
    if (started_ && impl_->ioc) {
        impl_->begin_stop();
        impl_->finish_stop();
        impl_->work.reset();
        impl_->ioc->stop();
        for (std::thread& t : threads_)
            t.join();
        threads_.clear();
    }
    // The io_context destroys every handler still queued on it (timers of handlers that had
    // not answered), releasing what they hold; their Responds find the request gone.
    impl_->acceptor.reset();
    impl_->ioc.reset();
}

net::any_io_executor HttpServer::executor() const {
    KEEL_ASSERT(impl_->ioc.has_value(), "HttpServer::executor() after stop()");
    return impl_->ioc->get_executor();
}

std::size_t HttpServer::connections() const {
    std::lock_guard lk(impl_->mu);
    return impl_->live;
}

}  // namespace keel::adapters::http
