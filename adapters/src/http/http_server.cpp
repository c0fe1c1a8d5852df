#include "keel/adapters/http/http_server.hpp"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <unordered_map>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "keel/adapters/http/http_error.hpp"
#include "keel/engine/assert.hpp"

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

// A Respond may be called from any thread, possibly after the server has stopped. The gate
// lets it post to the io_context only while that still exists.
struct Gate {
    std::mutex mu;
    bool open = true;
};

engine::HttpMethod method_of(bhttp::verb v) noexcept {
    switch (v) {
        case bhttp::verb::get:
            return engine::HttpMethod::get;
        case bhttp::verb::post:
            return engine::HttpMethod::post;
        case bhttp::verb::put:
            return engine::HttpMethod::put;
        case bhttp::verb::delete_:
            return engine::HttpMethod::del;
        case bhttp::verb::head:
            return engine::HttpMethod::head;
        default:
            return engine::HttpMethod::other;
    }
}

std::string_view sv(beast::string_view s) noexcept {
    return {s.data(), s.size()};
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

class Session;

}  // namespace

struct HttpServer::Impl {
    Impl(ServerOptions o, Handler h, Counters& c)
        : options(std::move(o)), handler(std::move(h)), counters(c), ioc(std::in_place) {
        acceptor.emplace(net::make_strand(*ioc));
        sweeper.emplace(acceptor->get_executor());
        // Fine enough that the shortest timeout fires within an eighth of itself late.
        const auto shortest =
            std::min({options.header_timeout, options.request_timeout, options.handler_deadline});
        sweep_every =
            std::clamp(shortest / 8, std::chrono::milliseconds(1), std::chrono::milliseconds(100));
    }

    void do_accept();
    void on_accept(beast::error_code ec, tcp::socket socket);
    void begin_stop();
    void sweep();
    void add(Session* s, const std::shared_ptr<Session>& p);
    void remove(Session* s);
    std::size_t live() {
        std::lock_guard lk(sessions_mu);
        return sessions.size();
    }

    ServerOptions options;
    Handler handler;
    Counters& counters;
    std::shared_ptr<Gate> gate = std::make_shared<Gate>();
    std::optional<net::io_context> ioc;
    std::optional<tcp::acceptor> acceptor;  // reset before ioc, which it uses
    // Deadlines are checked by one periodic sweep rather than a timer per operation: re-arming
    // a timer on every read and write cost three timerfd syscalls per request.
    std::optional<net::steady_timer> sweeper;
    // A session waiting for its handler has no operation pending on the io_context; without
    // this guard the io threads could run out of work and return before the answer is posted.
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
    std::chrono::milliseconds sweep_every{100};
    std::atomic<bool> stopping{false};

    std::mutex sessions_mu;
    std::condition_variable sessions_cv;
    // Open sessions, owned here until they close: a Respond holds only a weak reference, so a
    // handler that keeps one past stop() cannot keep a socket of a destroyed io_context alive.
    std::unordered_map<Session*, std::shared_ptr<Session>> sessions;
};

namespace {

// One connection: reads requests one at a time, hands each to the handler, writes its answer.
// All of a session's work runs on its strand.
class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(HttpServer::Impl& server, tcp::socket&& socket, bool registered)
        : server_(server), socket_(std::move(socket)), registered_(registered) {
        beast::error_code ec;
        const tcp::endpoint peer = socket_.remote_endpoint(ec);
        if (!ec) {
            net::ip::address a = peer.address();
            if (a.is_v6() && a.to_v6().is_v4_mapped())
                a = net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6());
            if (a.is_v4())
                remote_ipv4_ = a.to_v4().to_uint();
            remote_ = a.to_string();
        }
    }
    ~Session() {
        if (registered_)
            server_.remove(this);
    }

    void start() {
        net::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->do_read(); });
    }

    // Past max_connections: one 503, then close.
    void reject_busy() {
        net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
            self->report(503, ApiCode::busy);
            self->write(
                error_response(503, ApiCode::busy,
                               "too many connections (max_connections " +
                                   std::to_string(self->server_.options.max_connections) + ")"),
                Close::now);
        });
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
            r.method = method_of(parser_->get().method());
            r.target = sv(parser_->get().target());
        }
        server_.options.on_refused(r);
    }

    // The server is stopping: an idle connection closes now, a busy one after its answer.
    void begin_stop() {
        stopping_ = true;
        if (state_ == State::reading || state_ == State::draining)
            close();
    }

    net::any_io_executor executor() { return socket_.get_executor(); }

    // Any thread (the sweep): whether the current deadline has passed.
    [[nodiscard]] bool overdue(std::int64_t now) const noexcept {
        return now >= deadline_ns_.load(std::memory_order_relaxed);
    }

    // On the strand, told by the sweep: act on the deadline of whatever the session is doing.
    void on_deadline() {
        if (!overdue(now_ns()))
            return;  // moved on since the sweep looked
        switch (state_) {
            case State::reading: {
                // A client too slow to send its request (slowloris) is cut off without an
                // answer: writing to it could block as long as its reads do. A kept-alive
                // connection that sent nothing at all is merely idle.
                const bool idle = buffer_.size() == 0 && !(parser_ && parser_->got_some());
                (idle ? server_.counters.idle_closed : server_.counters.timed_out)
                    .fetch_add(1, std::memory_order_relaxed);
                return close();
            }
            case State::handling:
                server_.counters.handler_timeouts.fetch_add(1, std::memory_order_relaxed);
                report(503, ApiCode::timeout);
                return on_response(generation_,
                                   error_response(503, ApiCode::timeout,
                                                  "the request was not answered within "
                                                  "handler_deadline"));
            case State::writing:
            case State::draining:
                return close();
            case State::closed:
                return;
        }
    }

  private:
    enum class State { reading, handling, writing, draining, closed };
    enum class Close { no, now, drain };

    void do_read() {
        if (stopping_ || server_.stopping.load(std::memory_order_acquire))
            return close();
        state_ = State::reading;
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(server_.options.max_header_bytes));
        parser_->body_limit(server_.options.max_body_bytes);
        const std::int64_t now = now_ns();
        request_deadline_ns_ = now + ns(server_.options.request_timeout);
        set_deadline(now +
                     ns(std::min(server_.options.header_timeout, server_.options.request_timeout)));
        bhttp::async_read_header(socket_, buffer_, *parser_,
                                 [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                     self->on_header(ec);
                                 });
    }

    void on_header(beast::error_code ec) {
        if (ec)
            return on_read_error(ec);
        set_deadline(request_deadline_ns_);
        if (parser_->is_done())
            return on_request();
        const auto& req = parser_->get();
        if (iequals(sv(req[bhttp::field::expect]), "100-continue")) {
            // curl and others wait for this before sending a larger body.
            static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            net::async_write(socket_, net::buffer(kContinue.data(), kContinue.size()),
                             [self = shared_from_this()](beast::error_code wec, std::size_t) {
                                 if (wec)
                                     return self->close();
                                 self->read_body();
                             });
            return;
        }
        read_body();
    }

    void read_body() {
        bhttp::async_read(socket_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec)
                                  return self->on_read_error(ec);
                              self->on_request();
                          });
    }

    void on_read_error(beast::error_code ec) {
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
        if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
            ec == net::error::operation_aborted || ec == net::error::connection_reset ||
            ec == bhttp::error::partial_message || state_ == State::closed) {
            return close();
        }
        server_.counters.bad_requests.fetch_add(1, std::memory_order_relaxed);
        report(400, ApiCode::bad_field);
        write(error_response(400, ApiCode::bad_field, "malformed HTTP request: " + ec.message()),
              Close::drain);
    }

    void on_request() {
        server_.counters.requests.fetch_add(1, std::memory_order_relaxed);
        bhttp::request<bhttp::string_body> req = parser_->release();
        keep_alive_ = req.keep_alive();

        HttpRequest r;
        r.method = method_of(req.method());
        r.target = std::string(req.target());
        r.headers.reserve(16);
        for (const auto& f : req)
            r.headers.emplace_back(lower(sv(f.name_string())), std::string(f.value()));
        r.body = std::move(req.body());
        r.remote_ipv4 = remote_ipv4_;
        r.remote = remote_;

        state_ = State::handling;
        const std::uint64_t gen = ++generation_;
        awaiting_ = true;
        set_deadline(now_ns() + ns(server_.options.handler_deadline));

        std::shared_ptr<Gate> gate = server_.gate;
        Respond respond = [gate, weak = weak_from_this(), gen](HttpResponse res) {
            std::lock_guard lk(gate->mu);
            if (!gate->open)
                return;
            std::shared_ptr<Session> self = weak.lock();
            if (!self)
                return;  // the connection is gone
            // dispatch: a handler that answers on the session's own strand (the webhook's
            // durability poll usually does) writes at once instead of queueing a hop.
            net::dispatch(self->socket_.get_executor(),
                          [self, gen, res = std::move(res)]() mutable {
                              self->on_response(gen, std::move(res));
                          });
        };
        try {
            server_.handler(std::move(r), std::move(respond));
        } catch (const std::exception& e) {
            on_response(gen, error_response(503, ApiCode::busy,
                                            std::string("the handler failed: ") + e.what()));
        }
    }

    void on_response(std::uint64_t gen, HttpResponse res) {
        if (!awaiting_ || gen != generation_ || state_ != State::handling)
            return;  // answered already (the deadline beat a late handler, or vice versa)
        awaiting_ = false;
        const bool close_after =
            !keep_alive_ || stopping_ || server_.stopping.load(std::memory_order_acquire);
        write(std::move(res), close_after ? Close::now : Close::no);
    }

    void write(HttpResponse res, Close how) {
        auto msg = std::make_shared<bhttp::response<bhttp::string_body>>();
        msg->version(11);
        msg->result(res.status);
        msg->set(bhttp::field::server, "keel");
        msg->set(bhttp::field::content_type, res.content_type);
        for (auto& [k, v] : res.headers)
            msg->set(k, v);
        msg->body() = std::move(res.body);
        msg->keep_alive(how == Close::no);
        msg->prepare_payload();
        state_ = State::writing;
        set_deadline(now_ns() + ns(server_.options.request_timeout));
        bhttp::async_write(
            socket_, *msg,
            [self = shared_from_this(), msg, how](beast::error_code ec, std::size_t) {
                if (ec || how == Close::now)
                    return self->close();
                if (how == Close::drain)
                    return self->drain();
                self->do_read();
            });
    }

    // After an error answer the client may still be sending a body we refused. Closing with
    // unread bytes makes the kernel reset the connection, which can destroy our answer before
    // the client reads it; so stop sending, read and discard (into a small buffer, never the
    // whole body) until the client closes or the header timeout passes.
    void drain() {
        if (stopping_ || server_.stopping.load(std::memory_order_acquire))
            return close();
        state_ = State::draining;
        beast::error_code ec;
        socket_.shutdown(tcp::socket::shutdown_send, ec);
        set_deadline(now_ns() + ns(server_.options.header_timeout));
        drain_more();
    }
    void drain_more() {
        socket_.async_read_some(net::buffer(discard_),
                                [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                    if (ec)
                                        return self->close();
                                    self->drain_more();
                                });
    }

    void close() {
        // Leaving the registry may drop the last owner; stay alive until this call returns.
        const std::shared_ptr<Session> keep = shared_from_this();
        if (registered_) {
            registered_ = false;
            server_.remove(this);
        }
        state_ = State::closed;
        awaiting_ = false;
        set_deadline(kNever);
        beast::error_code ec;
        socket_.shutdown(tcp::socket::shutdown_both, ec);
        socket_.close(ec);
    }

    static constexpr std::int64_t kNever = INT64_MAX;
    static std::int64_t now_ns() noexcept {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
    static std::int64_t ns(std::chrono::milliseconds d) noexcept {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
    }
    void set_deadline(std::int64_t at_ns) noexcept {
        deadline_ns_.store(at_ns, std::memory_order_relaxed);
    }

    HttpServer::Impl& server_;
    tcp::socket socket_;
    std::atomic<std::int64_t> deadline_ns_{kNever};  // steady ns; read by the sweep
    std::uint32_t remote_ipv4_ = 0;
    std::string remote_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::int64_t request_deadline_ns_ = kNever;
    std::uint64_t generation_ = 0;
    State state_ = State::reading;
    bool awaiting_ = false;
    bool keep_alive_ = true;
    bool stopping_ = false;
    bool registered_;
    std::array<char, 4096> discard_{};
};

}  // namespace

void HttpServer::Impl::add(Session* s, const std::shared_ptr<Session>& p) {
    std::lock_guard lk(sessions_mu);
    sessions.emplace(s, p);
}

void HttpServer::Impl::remove(Session* s) {
    std::lock_guard lk(sessions_mu);
    sessions.erase(s);
    if (sessions.empty())
        sessions_cv.notify_all();
}

void HttpServer::Impl::do_accept() {
    acceptor->async_accept(net::make_strand(*ioc), [this](beast::error_code ec, tcp::socket s) {
        on_accept(ec, std::move(s));
    });
}

void HttpServer::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor->is_open() ||
        stopping.load(std::memory_order_acquire))
        return;
    if (!ec) {
        if (live() >= options.max_connections) {
            counters.busy.fetch_add(1, std::memory_order_relaxed);
            std::make_shared<Session>(*this, std::move(socket), false)->reject_busy();
        } else {
            // Answers are single writes; Nagle would only hold back the 100 Continue case.
            beast::error_code nd;
            socket.set_option(tcp::no_delay(true), nd);
            auto s = std::make_shared<Session>(*this, std::move(socket), true);
            add(s.get(), s);
            s->start();
        }
    }
    // An accept error (e.g. out of file descriptors) drops that one connection; keep serving.
    do_accept();
}

void HttpServer::Impl::sweep() {
    sweeper->expires_after(sweep_every);
    sweeper->async_wait([this](beast::error_code ec) {
        if (ec)
            return;
        const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count();
        std::vector<std::shared_ptr<Session>> overdue;
        {
            std::lock_guard lk(sessions_mu);
            for (auto& [p, owner] : sessions) {
                if (p->overdue(now))
                    overdue.push_back(owner);
            }
        }
        for (auto& s : overdue)
            net::post(s->executor(), [s] { s->on_deadline(); });
        sweep();
    });
}

void HttpServer::Impl::begin_stop() {
    stopping.store(true, std::memory_order_release);
    net::post(acceptor->get_executor(), [this] {
        beast::error_code ec;
        acceptor->close(ec);
        sweeper->cancel();
    });
    std::vector<std::shared_ptr<Session>> live_sessions;
    {
        std::lock_guard lk(sessions_mu);
        for (auto& [p, owner] : sessions)
            live_sessions.push_back(owner);
    }
    for (auto& s : live_sessions)
        net::post(s->executor(), [s] { s->begin_stop(); });
}

HttpServer::HttpServer(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), counters_)) {
    KEEL_ASSERT(impl_->handler != nullptr, "HttpServer needs a handler");
    KEEL_ASSERT(impl_->options.threads >= 1, "HttpServer needs at least one thread");
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
    impl_->do_accept();
    net::post(impl_->acceptor->get_executor(), [this] { impl_->sweep(); });
    threads_.reserve(o.threads);
    for (unsigned i = 0; i < o.threads; ++i)
        threads_.emplace_back([this] { impl_->ioc->run(); });
    return {};
}

void HttpServer::stop() {
    if (stopped_)
        return;
    stopped_ = true;
    if (started_ && impl_->ioc) {
        impl_->begin_stop();
        {
            std::unique_lock lk(impl_->sessions_mu);
            impl_->sessions_cv.wait_for(lk, impl_->options.stop_grace,
                                        [&] { return impl_->sessions.empty(); });
        }
        impl_->work.reset();
        impl_->ioc->stop();
        for (std::thread& t : threads_)
            t.join();
        threads_.clear();
    }
    {
        std::lock_guard lk(impl_->gate->mu);
        impl_->gate->open = false;
    }
    // Sessions still open at the grace limit are destroyed here, then the io_context destroys
    // every handler still queued on it (timers of handlers that had not answered), releasing
    // what they hold.
    std::unordered_map<Session*, std::shared_ptr<Session>> cut;
    {
        std::lock_guard lk(impl_->sessions_mu);
        cut.swap(impl_->sessions);
    }
    cut.clear();
    impl_->sweeper.reset();
    impl_->acceptor.reset();
    impl_->ioc.reset();
}

net::any_io_executor HttpServer::executor() const {
    KEEL_ASSERT(impl_->ioc.has_value(), "HttpServer::executor() after stop()");
    return impl_->ioc->get_executor();
}

std::size_t HttpServer::connections() const {
    std::lock_guard lk(impl_->sessions_mu);
    return impl_->sessions.size();
}

}  // namespace keel::adapters::http
