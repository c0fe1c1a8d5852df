// AlpacaTestServer's trade_updates stream: the WebSocket sessions (authorization, listen, one
// queued write at a time) and the way from the book's events to them, through the event
// faults (reorder, duplicate, delay; stream_drop_after is per session). No event is kept for a
// stream that is not listening: a client that reconnects gets only what happens after.
#include "alpaca_test_server_impl.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <algorithm>

namespace keel::adapters::alpaca {

namespace websocket = beast::websocket;
using asio::redirect_error;
using asio::use_awaitable;
using boost::system::error_code;

namespace {

// How long a reordered event waits for the next one before it goes out anyway: a reorder is
// not a loss, so the last event of a quiet spell is not held for ever.
constexpr auto kReorderHold = std::chrono::milliseconds(500);

std::string authorization_json(std::string_view action, bool authorized) {
    JsonWriter w;
    w.begin_object().key("stream").string("authorization").key("data").begin_object();
    w.key("action").string(action).key("status").string(authorized ? "authorized" : "unauthorized");
    if (!authorized)
        w.key("message").string("access key verification failed");
    return w.end_object().end_object().take();
}

std::string listening_json(bool trade_updates) {
    JsonWriter w;
    w.begin_object().key("stream").string("listening").key("data").begin_object();
    w.key("streams").begin_array();
    if (trade_updates)
        w.string("trade_updates");
    return w.end_array().end_object().end_object().take();
}

}  // namespace

class StreamSession : public std::enable_shared_from_this<StreamSession> {
  public:
    StreamSession(AlpacaTestServer::Impl& server, TlsStream&& stream)
        : server_(server), ws_(std::move(stream)) {}

    // self: this session, held by the coroutine's frame (a member coroutine does not keep its
    // object alive on its own, and nothing else holds a session before it is accepted).
    asio::awaitable<void> run(std::shared_ptr<StreamSession> self, Request req);
    // Queues a message; event: a trade_updates event (counted, and stream_drop_after closes
    // the session after its Nth).
    void send(std::shared_ptr<const std::string> message, bool event);
    [[nodiscard]] bool listening() const noexcept { return listening_ && !closing_; }

  private:
    void handle(std::string_view text);
    void write_next();
    void close_when_flushed();

    AlpacaTestServer::Impl& server_;
    WsStream ws_;
    std::deque<std::shared_ptr<const std::string>> queue_;  // queue_.front() is being written
    bool writing_ = false;
    bool closing_ = false;  // nothing more is queued; closes once the queue is written
    bool authorized_ = false;
    bool listening_ = false;
    std::uint64_t events_ = 0;
};

asio::awaitable<void> StreamSession::run(std::shared_ptr<StreamSession> self, Request req) {
    beast::get_lowest_layer(ws_).expires_never();  // the WebSocket's own timeouts apply now
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.binary(!server_.options.text_frames);
    error_code ec;
    co_await ws_.async_accept(req, redirect_error(use_awaitable, ec));
    if (ec)
        co_return;
    ++server_.counters.stream_connections;
    server_.streams.push_back(self);
    beast::flat_buffer buffer;
    for (;;) {
        co_await ws_.async_read(buffer, redirect_error(use_awaitable, ec));
        if (ec)
            break;
        handle(beast::buffers_to_string(buffer.data()));
        buffer.consume(buffer.size());
    }
    closing_ = true;
    auto& all = server_.streams;
    all.erase(std::remove(all.begin(), all.end(), self), all.end());
}

// Text or binary frames alike (clients send either). Anything that is not an auth or listen
// message is ignored, as it changes nothing.
void StreamSession::handle(std::string_view text) {
    const auto m = parse_stream_message(text);
    if (!m)
        return;
    const AlpacaServerOptions& o = server_.options;
    if (m->action == "auth" || m->action == "authenticate") {
        const bool expired = server_.key_expired();
        authorized_ = m->key_id == o.key_id && m->secret == o.secret_key && !expired;
        server_.counters.expired_key_refusals += expired ? 1 : 0;
        send(std::make_shared<const std::string>(authorization_json("authenticate", authorized_)),
             false);
        if (!authorized_) {
            ++server_.counters.stream_refused;
            close_when_flushed();
        }
        return;
    }
    if (m->action != "listen")
        return;
    if (!authorized_) {
        send(std::make_shared<const std::string>(authorization_json("listen", false)), false);
        close_when_flushed();
        return;
    }
    listening_ =
        std::find(m->streams.begin(), m->streams.end(), "trade_updates") != m->streams.end();
    send(std::make_shared<const std::string>(listening_json(listening_)), false);
}

void StreamSession::send(std::shared_ptr<const std::string> message, bool event) {
    if (closing_)
        return;
    queue_.push_back(std::move(message));
    if (event) {
        ++server_.counters.events_sent;
        const std::uint64_t after = server_.options.faults.stream_drop_after;
        if (after > 0 && ++events_ % after == 0) {
            ++server_.counters.stream_drops;
            closing_ = true;
        }
    }
    if (!writing_)
        write_next();
}

void StreamSession::close_when_flushed() {
    closing_ = true;
    if (!writing_)
        write_next();
}

// One write at a time (a WebSocket stream allows one); the close goes after the last.
void StreamSession::write_next() {
    const auto self = shared_from_this();
    if (queue_.empty()) {
        writing_ = false;
        if (closing_)
            ws_.async_close(websocket::close_code::going_away, [self](error_code) {});
        return;
    }
    writing_ = true;
    ws_.async_write(asio::buffer(*queue_.front()), [self](error_code ec, std::size_t) {
        self->queue_.pop_front();
        if (ec) {
            self->queue_.clear();
            self->writing_ = false;
            self->closing_ = true;
            return;
        }
        self->write_next();
    });
}

void AlpacaTestServer::Impl::start_stream(TlsStream&& stream, Request&& req) {
    auto session = std::make_shared<StreamSession>(*this, std::move(stream));
    StreamSession& s = *session;
    asio::co_spawn(io, s.run(std::move(session), std::move(req)), rethrow);
}

// --- events: the book's, through the faults, to every listening stream ---

void AlpacaTestServer::Impl::on_event(std::string json) {
    const AlpacaServerFaults& f = options.faults;
    if (f.reorder_every > 0 && ++events_made % f.reorder_every == 0 && !held) {
        held = std::move(json);
        ++counters.reordered;
        const std::uint64_t generation = ++held_generation;
        reorder_timer.expires_after(kReorderHold);
        reorder_timer.async_wait([this, generation](error_code ec) {
            if (!ec && generation == held_generation)
                release_held();
        });
        return;
    }
    emit(std::move(json));
    release_held();
}

void AlpacaTestServer::Impl::release_held() {
    if (!held)
        return;
    std::string json = std::move(*held);
    held.reset();
    ++held_generation;  // a timer already due for it finds nothing of its own
    emit(std::move(json));
}

void AlpacaTestServer::Impl::emit(std::string json) {
    const AlpacaServerFaults& f = options.faults;
    const auto message = std::make_shared<const std::string>(std::move(json));
    const bool twice = f.duplicate_every > 0 && ++events_emitted % f.duplicate_every == 0;
    if (twice)
        ++counters.duplicates_sent;
    for (int copy = 0; copy < (twice ? 2 : 1); ++copy) {
        if (f.delay_ms <= 0) {
            broadcast(message);
            continue;
        }
        ++counters.delayed;
        delayed.push_back({Clock::now() + std::chrono::milliseconds(f.delay_ms), message});
    }
    flush_delayed();
}

// Sends the delayed events that are due and waits for the next (every event has the same
// delay, so the queue is in due order).
void AlpacaTestServer::Impl::flush_delayed() {
    while (!delayed.empty() && delayed.front().due <= Clock::now()) {
        broadcast(delayed.front().message);
        delayed.pop_front();
    }
    if (delayed.empty() || delay_armed)
        return;
    delay_armed = true;
    delay_timer.expires_at(delayed.front().due);
    delay_timer.async_wait([this](error_code ec) {
        delay_armed = false;
        if (!ec)
            flush_delayed();
    });
}

void AlpacaTestServer::Impl::broadcast(const std::shared_ptr<const std::string>& message) {
    bool heard = false;
    const auto listeners = streams;  // send() never changes the list, but stay safe
    for (const auto& s : listeners) {
        if (s->listening()) {
            s->send(message, true);
            heard = true;
        }
    }
    if (!heard)
        ++counters.events_unheard;
}

}  // namespace keel::adapters::alpaca
