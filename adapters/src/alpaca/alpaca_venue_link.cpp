// AlpacaVenue's connection: the thread's start and turns, the trade_updates stream, and the
// reconciliation that stands between every (re)connect and the next new order.
#include <algorithm>

#include <boost/asio/io_context.hpp>

#include "keel/adapters/alpaca/alpaca_venue.hpp"

#include "keel/adapters/feed/backoff.hpp"
#include "keel/adapters/http/websocket_client.hpp"
#include "keel/adapters/notify/http_client.hpp"
#include "keel/adapters/venue/venue_reply.hpp"
#include "keel/engine/core/fixed_point.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/orders/venue_id.hpp"

#include "alpaca_venue_detail.hpp"

namespace keel::adapters::alpaca {

using Clock = std::chrono::steady_clock;

namespace {

// The stream's reconnects: 250 ms doubling to 10 s.
constexpr feed::BackoffPolicy kStreamBackoff{250, 10'000};
// Positions that differ are asked again this many times (a fill may land between Alpaca's
// answer and the stream's event) before the difference is journaled.
constexpr std::uint32_t kPositionAttempts = 3;

// host and port of an https:// or wss:// URL (checked by the config); the wss one's path.
notify::ParsedUrl url_parts(const std::string& url) {
    const std::size_t scheme = url.find("://");
    return notify::parse_url("https://" + url.substr(scheme == std::string::npos ? 0 : scheme + 3))
        .value_or(notify::ParsedUrl{});
}

// Alpaca's stream authentication, as its own SDK (alpaca-py) sends it. JSON-escaped: a key is
// letters and digits, but nothing is assumed of a configured string.
std::string auth_message(const std::string& key_id, const std::string& secret) {
    const auto quoted = [](const std::string& s) {
        std::string out = "\"";
        for (const char c : s) {
            if (c == '"' || c == '\\')
                out += '\\';
            if (static_cast<unsigned char>(c) >= 0x20)
                out += c;
        }
        return out + "\"";
    };
    return R"({"action":"authenticate","data":{"key_id":)" + quoted(key_id) +
           R"(,"secret_key":)" + quoted(secret) + "}}";
}

}  // namespace

void AlpacaVenue::on_thread_start() {
    started_ = true;
    io_ = std::make_unique<boost::asio::io_context>();
    const AlpacaVenueConfig& c = options_.config;
    const notify::ParsedUrl rest = url_parts(c.base_url);
    const notify::ParsedUrl stream = url_parts(c.stream_url);
    http::HttpsClient::Options ro;
    ro.host = rest.host;
    ro.port = rest.port;
    ro.ca_file = c.ca_file;
    ro.timeout = std::chrono::milliseconds(c.request_timeout_ms);
    ro.lanes = detail::kLanes;
    ro.headers = {{"APCA-API-KEY-ID", c.key_id}, {"APCA-API-SECRET-KEY", c.secret_key}};
    http::WssClient::Options so;
    so.host = stream.host;
    so.port = stream.port;
    so.target = stream.target;
    so.ca_file = c.ca_file;
    so.connect_timeout = std::chrono::milliseconds(c.request_timeout_ms);
    try {
        rest_ = std::make_unique<http::HttpsClient>(*io_, std::move(ro));
        stream_ = std::make_unique<http::WssClient>(*io_, std::move(so));
    } catch (const std::exception& e) {
        log(std::string("cannot set up TLS: ") + e.what());
        rest_.reset();
        stream_.reset();
    }
    post_status(engine::VenueState::disconnected, engine::Reason::none);
    if (stream_)
        open_stream();
}

void AlpacaVenue::on_thread_stop() noexcept {
    stopping_ = true;
    if (stream_)
        stream_->close();
    if (rest_)
        rest_->close();
    if (io_)
        io_->poll();
    stream_.reset();
    rest_.reset();
    io_.reset();
}

bool AlpacaVenue::poll() noexcept {
    if (!io_)
        return false;
    try {
        std::size_t ran = run_io();
        const Clock::time_point now = Clock::now();
        if (link_ == Link::down && stream_ && now >= reconnect_at_)
            open_stream();
        if (link_ == Link::ready && options_.config.account_poll_ms > 0 && now >= next_poll_) {
            next_poll_ = now + std::chrono::milliseconds(options_.config.account_poll_ms);
            // One account question queued at a time: while the limiter holds everything back
            // (a 429's block lasts up to a minute) polls would otherwise pile up, one per
            // account_poll_ms, and once it opens spend the limiter's burst and the window's
            // requests on the same question, pacing the orders behind them down to the
            // sustained rate until they are refused for their age.
            const bool queued = std::any_of(queue_.begin(), queue_.end(), [](const Request& q) {
                return q.job == Job::account;
            });
            if (!queued) {
                Request r;
                r.job = Job::account;
                enqueue(std::move(r));
            }
        }
        if (pump())
            ran += run_io();
        return ran > 0;
    } catch (const std::exception& e) {
        log(std::string("error in the adapter's turn: ") + e.what());
        return false;
    }
}

// One non-blocking turn of the io_context. An io_context that ran out of work (the stream
// closed, no request in flight) stops, and would run nothing queued later until restarted.
std::size_t AlpacaVenue::run_io() {
    if (io_->stopped())
        io_->restart();
    return io_->poll();
}

// --- the stream ---

void AlpacaVenue::open_stream() {
    link_ = Link::connecting;
    http::WssClient::Handlers h;
    h.on_open = [this] {
        (void)stream_->send(auth_message(options_.config.key_id, options_.config.secret_key));
    };
    h.on_message = [this](std::string_view payload, bool) { on_stream_message(payload); };
    h.on_close = [this](std::string why) { on_stream_closed(why); };
    stream_->open(std::move(h));
}

// The stream is gone (or never came): Alpaca does not replay what it missed, so the venue is
// down until it is back and the reconciliation has asked about every open order.
void AlpacaVenue::on_stream_closed(const std::string& why) {
    if (link_ == Link::refused)
        return;  // the keys were refused: a restart with good ones is needed
    const bool was_up = link_ == Link::ready || link_ == Link::reconciling;
    link_ = Link::down;
    awaiting_.clear();
    awaiting_list_ = awaiting_positions_ = awaiting_account_ = false;
    reconnect_at_ = Clock::now() + std::chrono::milliseconds(feed::backoff_delay_ms(
                                       kStreamBackoff, stream_failures_++));
    if (was_up) {
        counters_.disconnects.fetch_add(1, std::memory_order_relaxed);
        log("the trade_updates stream dropped (" + why +
            "): new orders refused until it is back and every open order is asked about");
        post_status(engine::VenueState::disconnected, engine::Reason::venue_disconnected);
    } else if (stream_failures_ == 1 || stream_failures_ % 20 == 0) {
        log("cannot open the trade_updates stream (" + why + "); trying again");
    }
}

// --- reconciliation ---

void AlpacaVenue::start_reconciliation() {
    link_ = Link::reconciling;
    stream_failures_ = 0;
    ++reconnects_;
    resolved_ = 0;
    foreign_ = 0;
    adopted_now_ = 0;
    positions_asked_ = false;
    positions_attempts_ = 0;
    post_status(engine::VenueState::reconciling, engine::Reason::none);
    awaiting_.clear();
    for (const engine::OrderRecord& r : book_.open_orders()) {
        awaiting_.insert(r.order_id);
        Request ask;
        ask.job = Job::lookup;
        ask.order_id = r.order_id;
        ask.key = ids_[r.order_id].current;
        ask.reconcile = true;
        enqueue(std::move(ask));
    }
    awaiting_list_ = true;
    Request list;
    list.job = Job::list_open;
    list.reconcile = true;
    enqueue(std::move(list));
    finish_if_answered();
}

void AlpacaVenue::on_list_open(const Request& r, Response&& res) {
    if (!awaiting_list_)
        return;
    std::vector<Order> orders;
    if (res.status < 200 || res.status >= 300)
        return retry_later(r, res);
    if (const auto error = decode_orders(res.body, orders)) {
        counters_.malformed.fetch_add(1, std::memory_order_relaxed);
        log("the open orders' list does not decode (" + error->field + ": " + error->what +
            "): asked again");
        return retry_later(r, res);
    }
    if (orders.size() >= 500)
        log("Alpaca lists 500 open orders or more: only the first 500 are checked");
    for (const Order& o : orders) {
        const std::uint64_t id = find_order(o);
        if (id != 0 && book_.find(id) != nullptr)
            continue;  // keel's own open order: its lookup answers for it
        on_foreign_order(o, id != 0);
    }
    awaiting_list_ = false;
    finish_if_answered();
}

void AlpacaVenue::on_foreign_order(const Order& o, bool closed_here) {
    if (options_.config.adopt_unknown && !closed_here) {  // keel's own order is never re-owned
        std::string why;
        if (adopt(o, why))
            return;
        log("cannot adopt Alpaca's order " + o.client_order_id + ": " + why);
    }
    ++foreign_;
    counters_.foreign_orders.fetch_add(1, std::memory_order_relaxed);
    const std::string tail = detail::clipped(
        detail::tail_of(o) + detail::tail_line("symbol", o.symbol) +
        detail::tail_line("side", side_name(o.side)) + detail::tail_line("qty", o.qty.to_string()) +
        detail::tail_line("filled", o.filled_qty.to_string()));
    log(std::string(closed_here ? "Alpaca holds working an order this journal closed: "
                                : "Alpaca holds an order this journal never sent: ") +
        detail::readable(tail));
    post_order_record(engine::VenueState::foreign_order, 0, engine::OrderStatus{},
                      engine::Reason::foreign_order, tail);
}

// reconcile.adopt_unknown: an open order keel never sent becomes keel's. False, with why, when
// keel cannot hold it.
bool AlpacaVenue::adopt(const Order& o, std::string& why) {
    const auto symbol = std::find(options_.symbols.begin(), options_.symbols.end(), o.symbol);
    const bool priced = o.type == engine::OrderType::limit || o.type == engine::OrderType::stop_limit;
    const bool stopped = o.type == engine::OrderType::stop || o.type == engine::OrderType::stop_limit;
    const engine::Quantity left = o.qty - o.filled_qty;
    if (o.client_order_id.empty())
        why = "no client_order_id";
    else if (symbol == options_.symbols.end())
        why = "symbol '" + o.symbol + "' is not one keel trades";
    else if (!o.type || !o.tif || *o.type == engine::OrderType::trailing_stop)
        why = "type '" + o.type_text + "' or time_in_force '" + o.tif_text + "' has no keel name";
    else if (!o.has_qty || o.side == engine::Side::none)
        why = "no qty or side (a notional order)";
    else if ((priced && (!o.has_limit_price || o.limit_price.raw <= 0)) ||
             (stopped && (!o.has_stop_price || o.stop_price.raw <= 0)))
        why = "its limit or stop price is missing";
    else if (left.raw <= 0)
        why = "nothing left to fill";
    if (!why.empty())
        return false;
    ForeignOrder foreign;
    foreign.symbol = static_cast<engine::SymbolId>(symbol - options_.symbols.begin());
    foreign.side = o.side;
    foreign.type = *o.type;
    foreign.tif = *o.tif;
    foreign.price = priced ? o.limit_price : engine::Price{};
    foreign.stop_price = stopped ? o.stop_price : engine::Price{};
    foreign.left = left;
    const engine::Event e = adopted_ack(engine::make_adopted_order_id(adopted_, options_.account),
                                        foreign, wall_clock_ns());
    if (book_.peek(e).result != engine::ApplyResult::applied) {
        why = "keel's order book is full";
        return false;
    }
    // The tail keeps what a restart needs to know the order again: its ids, and what Alpaca had
    // filled before (its cumulative figures go on counting it).
    const std::string tail = detail::clipped(
        detail::tail_of(o) + detail::tail_line("filled", o.filled_qty.to_string()) +
        detail::tail_line("avg", o.has_filled_avg_price ? o.filled_avg_price.to_string() : "0"));
    apply(e, tail);
    replies_.post(e, tail);
    ++adopted_now_;
    counters_.adopted.fetch_add(1, std::memory_order_relaxed);
    log("adopted Alpaca's order " + o.client_order_id + " (" + o.symbol + ", " + left.to_string() +
        " left) as order " + std::to_string(e.payload.order.order_id));
    return true;
}

void AlpacaVenue::on_positions(const Request& r, Response&& res) {
    if (!awaiting_positions_)
        return;
    std::vector<Position> held;
    if (res.status < 200 || res.status >= 300)
        return retry_later(r, res);
    if (const auto error = decode_positions(res.body, held)) {
        counters_.malformed.fetch_add(1, std::memory_order_relaxed);
        log("the positions do not decode (" + error->field + ": " + error->what + "): asked again");
        return retry_later(r, res);
    }
    // Alpaca's positions by keel's symbol id (kNoSymbol: a symbol keel does not trade).
    std::map<std::pair<engine::SymbolId, std::string>, std::int64_t> broker;
    for (const Position& p : held) {
        const auto it = std::find(options_.symbols.begin(), options_.symbols.end(), p.symbol);
        const engine::SymbolId id =
            it == options_.symbols.end()
                ? engine::kNoSymbol
                : static_cast<engine::SymbolId>(it - options_.symbols.begin());
        broker[{id, p.symbol}] += p.qty.raw;
    }
    std::vector<std::string> diffs;
    std::vector<engine::SymbolId> diff_ids;
    for (const auto& [key, qty] : broker) {
        const auto j = positions_.find(key.first);
        const std::int64_t journal =
            key.first == engine::kNoSymbol || j == positions_.end() ? 0 : j->second;
        if (journal != qty) {
            diffs.push_back(detail::tail_line("symbol", key.second) +
                            detail::tail_line("journal", engine::Quantity::from_raw(journal).to_string()) +
                            detail::tail_line("broker", engine::Quantity::from_raw(qty).to_string()));
            diff_ids.push_back(key.first);
        }
    }
    for (const auto& [id, qty] : positions_) {
        bool listed = false;
        for (const auto& entry : broker)
            listed = listed || entry.first.first == id;
        if (qty != 0 && !listed) {
            diffs.push_back(detail::tail_line("symbol", symbol_of(id)) +
                            detail::tail_line("journal", engine::Quantity::from_raw(qty).to_string()) +
                            detail::tail_line("broker", "0"));
            diff_ids.push_back(id);
        }
    }
    if (!diffs.empty() && ++positions_attempts_ < kPositionAttempts) {
        Request again = r;
        again.not_before = Clock::now() + std::chrono::milliseconds(500);
        return enqueue(std::move(again));
    }
    for (std::size_t i = 0; i < diffs.size(); ++i) {
        counters_.position_mismatches.fetch_add(1, std::memory_order_relaxed);
        log("Alpaca's position differs from the journal's (" + detail::readable(diffs[i]) +
            "): new orders refused until an operator acknowledges it (POST "
            "/api/venue/ack-positions)");
        engine::Event e = status_event(engine::VenueState::position_mismatch,
                                       engine::Reason::position_mismatch);
        e.header.symbol = diff_ids[i];
        replies_.post(e, diffs[i]);
    }
    awaiting_positions_ = false;
    finish_if_answered();
}

void AlpacaVenue::on_account(const Request& r, Response&& res) {
    Account a;
    if (res.status < 200 || res.status >= 300 || decode_account(res.body, a)) {
        if (awaiting_account_)
            return retry_later(r, res);  // the reconciliation waits for it
        return;                          // the next poll asks again
    }
    if (a.trading_blocked || a.account_blocked)
        log("Alpaca reports the account blocked (status " + a.status + ")");
    engine::VenueAccountPayload p{};
    p.cash = a.cash;
    p.buying_power = a.buying_power;
    p.equity = a.equity;
    p.account = options_.account;
    const bool changed = !account_seen_ || p.cash.raw != last_account_.cash.raw ||
                         p.buying_power.raw != last_account_.buying_power.raw ||
                         p.equity.raw != last_account_.equity.raw;
    if (changed) {
        engine::Event e =
            engine::make_event(engine::EventType::venue_account, engine::Source::venue, 0,
                               wall_clock_ns(), engine::kNoSymbol);
        e.payload.venue_account = p;
        replies_.post(e);
        last_account_ = p;
        account_seen_ = true;
        counters_.account_updates.fetch_add(1, std::memory_order_relaxed);
    }
    if (awaiting_account_) {
        awaiting_account_ = false;
        finish_if_answered();
    }
}

// An order the reconciliation asked about is answered: one order_reconciled record.
void AlpacaVenue::settle(std::uint64_t order_id) {
    if (link_ != Link::reconciling || awaiting_.erase(order_id) == 0)
        return;
    const auto it = ids_.find(order_id);
    const engine::OrderRecord* r = book_.find(order_id);
    post_order_record(engine::VenueState::order_reconciled, order_id,
                      r != nullptr            ? r->status
                      : it != ids_.end()      ? it->second.last_status
                                              : engine::OrderStatus{},
                      engine::Reason::none);
    ++resolved_;
    counters_.resolved.fetch_add(1, std::memory_order_relaxed);
    finish_if_answered();
}

// Orders first, then the list of open orders, then positions and the account (whose figures
// the resolved orders' fills have moved): then ready, or refused for foreign orders.
void AlpacaVenue::finish_if_answered() {
    if (link_ != Link::reconciling || !awaiting_.empty() || awaiting_list_)
        return;
    if (!positions_asked_) {
        positions_asked_ = true;
        awaiting_positions_ = awaiting_account_ = true;
        Request p;
        p.job = Job::positions;
        p.reconcile = true;
        enqueue(std::move(p));
        Request a;
        a.job = Job::account;
        a.reconcile = true;
        enqueue(std::move(a));
        return;
    }
    if (awaiting_positions_ || awaiting_account_)
        return;
    if (foreign_ > 0) {
        link_ = Link::refused;
        log("refused: Alpaca holds " + std::to_string(foreign_) +
            " open orders this journal never sent; no order goes out until they are canceled "
            "there and keel restarts");
        return post_status(engine::VenueState::refused, engine::Reason::foreign_order);
    }
    link_ = Link::ready;
    next_poll_ = Clock::now() + std::chrono::milliseconds(options_.config.account_poll_ms);
    log("ready: " + std::to_string(resolved_) + " orders resolved" +
        (adopted_now_ > 0 ? ", " + std::to_string(adopted_now_) + " adopted" : std::string()));
    post_status(engine::VenueState::ready, engine::Reason::none);
}

// A venue_status input of this account's venue, now.
engine::Event AlpacaVenue::status_event(engine::VenueState state, engine::Reason reason) const {
    return link_status(state, reason, options_.account, reconnects_, wall_clock_ns());
}

void AlpacaVenue::post_status(engine::VenueState state, engine::Reason reason) {
    engine::Event e = status_event(state, reason);
    e.payload.venue_status.resolved = resolved_;
    e.payload.venue_status.in_doubt =
        link_in_doubt(state, book_.open_count(), foreign_, awaiting_.size());
    replies_.post(e);
}

void AlpacaVenue::post_order_record(engine::VenueState what, std::uint64_t order_id,
                                    engine::OrderStatus status, engine::Reason reason,
                                    const std::string& tail) {
    engine::Event e = status_event(what, reason);
    if (const engine::OrderRecord* r = book_.find(order_id))
        e.header.symbol = r->symbol;
    e.payload.venue_status.order_status = status;
    e.payload.venue_status.order_id = order_id;
    replies_.post(e, tail);
}

}  // namespace keel::adapters::alpaca
