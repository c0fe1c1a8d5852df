#include "keel/adapters/notify/notification.hpp"

#include "keel/adapters/notify/notify_format.hpp"
#include "keel/engine/orders/order_id.hpp"

namespace keel::adapters::notify {
namespace {

using engine::Event;
using engine::EventType;

constexpr std::string_view kKindNames[kNotifyKinds] = {
    "fill",   "partial_fill", "rejected", "cancel",  "breaker",       "kill", "pause",
    "resume", "feed",         "session",  "summary", "daily_summary", "venue"};
constexpr std::string_view kKindPlurals[kNotifyKinds] = {"fills",
                                                         "partial fills",
                                                         "rejected orders",
                                                         "cancels",
                                                         "circuit-breaker trips",
                                                         "kill-switch changes",
                                                         "pauses",
                                                         "resumes",
                                                         "feed status changes",
                                                         "session starts and stops",
                                                         "summaries",
                                                         "daily summaries",
                                                         "venue status changes"};
constexpr std::string_view kLevelNames[] = {"info", "warning", "critical"};

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
    return out;
}

std::string symbol_name(const Event& e, const NotifyNames& n) {
    if (n.symbols == nullptr || e.header.symbol >= n.symbols->size())
        return "symbol " + std::to_string(e.header.symbol);
    return std::string(n.symbols->name(e.header.symbol));
}

// The account an order belongs to, when the session has several.
void add_account(Notification& out, std::uint64_t order_id, const NotifyNames& n) {
    const std::size_t k = engine::order_id_account(order_id);
    if (n.accounts.size() > 1 && k < n.accounts.size())
        out.fields.emplace_back("account", n.accounts[k]);
}

Notification base(const Event& e, NotifyKind kind, NotifyLevel level) {
    Notification out;
    out.seq = e.header.seq;
    out.key = notify_key(e);
    out.ts_ns = e.header.ts_ns;
    out.kind = kind;
    out.level = level;
    return out;
}

Notification fill(const Event& e, const NotifyNames& n) {
    const engine::FillPayload& f = e.payload.fill;
    const bool final = (f.flags & engine::kFillFinal) != 0;
    Notification out =
        base(e, final ? NotifyKind::fill : NotifyKind::partial_fill, NotifyLevel::info);
    const std::string symbol = symbol_name(e, n);
    out.title = std::string(final ? "Filled: " : "Partial fill: ") + upper(to_string(f.side)) +
                " " + f.quantity.to_string() + " " + symbol + " @ " + f.price.to_string();
    out.fields = {{"symbol", symbol},
                  {"side", std::string(to_string(f.side))},
                  {"quantity", f.quantity.to_string()},
                  {"price", f.price.to_string()},
                  {"fee", f.fee.to_string()},
                  {"order", std::to_string(f.order_id)}};
    add_account(out, f.order_id, n);
    return out;
}

// An order event: a risk denial, a venue reject, a cancel.
Notification order(const Event& e, const NotifyNames& n) {
    const engine::OrderPayload& o = e.payload.order;
    const bool cancel = e.header.type == EventType::venue_cancel;
    Notification out = base(e, cancel ? NotifyKind::cancel : NotifyKind::rejected,
                            cancel ? NotifyLevel::info : NotifyLevel::warning);
    const std::string symbol = symbol_name(e, n);
    const std::string what = upper(to_string(o.side)) + " " + o.quantity.to_string() + " " + symbol;
    if (cancel)
        out.title = "Canceled: " + what + " (" + std::string(to_string(o.reason)) + ")";
    else
        out.title = std::string(e.header.type == EventType::order_denied ? "Rejected by risk: "
                                                                         : "Rejected by venue: ") +
                    what + " (" + std::string(to_string(o.reason)) + ")";
    out.fields = {{"symbol", symbol},
                  {"side", std::string(to_string(o.side))},
                  {"quantity", o.quantity.to_string()},
                  {"reason", std::string(to_string(o.reason))},
                  {"order", std::to_string(o.order_id)}};
    if (o.price.raw != 0)
        out.fields.emplace_back("price", o.price.to_string());
    add_account(out, o.order_id, n);
    return out;
}

Notification command(const Event& e, const NotifyNames& n) {
    const engine::CommandPayload& c = e.payload.command;
    Notification out;
    switch (c.code) {
        case engine::CommandCode::kill:
            out = base(e, NotifyKind::kill, NotifyLevel::critical);
            out.title = c.arg == 1 ? "Kill switch engaged: orders canceled, positions flattened"
                                   : "Kill switch engaged: orders canceled";
            break;
        case engine::CommandCode::unkill:
            out = base(e, NotifyKind::kill, NotifyLevel::info);
            out.title = "Kill switch lifted";
            break;
        case engine::CommandCode::pause:
            out = base(e, NotifyKind::pause, NotifyLevel::warning);
            out.title = "Trading paused: no new orders";
            break;
        default:
            out = base(e, NotifyKind::resume, NotifyLevel::info);
            out.title = "Trading resumed";
            break;
    }
    if (c.account > 0 && c.account <= n.accounts.size())
        out.fields.emplace_back("account", n.accounts[c.account - 1]);
    else if (n.accounts.size() > 1)
        out.fields.emplace_back("account", "all");
    return out;
}

Notification breaker(const Event& e, const NotifyNames& n) {
    const engine::RiskStatePayload& r = e.payload.risk_state;
    Notification out = base(e, NotifyKind::breaker, NotifyLevel::critical);
    out.title = "Circuit breaker: trading halted (" + std::string(to_string(r.reason)) + ")";
    out.fields = {{"reason", std::string(to_string(r.reason))},
                  {"value", engine::decimal_string(r.value)}};
    if (n.accounts.size() > 1 && r.account < n.accounts.size())
        out.fields.emplace_back("account", n.accounts[r.account]);
    return out;
}

Notification feed(const Event& e) {
    const bool down = e.payload.feed_status.state == engine::FeedState::disconnected;
    Notification out = base(e, NotifyKind::feed, down ? NotifyLevel::critical : NotifyLevel::info);
    out.title = down ? "Market-data feed disconnected" : "Market-data feed reconnected";
    return out;
}

std::string venue_title(const engine::VenueStatusPayload& v) {
    switch (v.state) {
        case engine::VenueState::ready:
            return "Venue reconnected: orders resolved, trading again";
        case engine::VenueState::refused:
            // A broker's keys or token refused (expired, revoked, wrong): nothing more is sent.
            return v.reason == engine::Reason::venue_auth_failed
                       ? "Broker refused the API keys (expired or revoked): trading stopped "
                         "until keel restarts with valid keys"
                       : "Venue holds orders this journal never sent: trading refused";
        case engine::VenueState::position_mismatch:
            return "Broker's position differs from the journal's: new orders refused until "
                   "acknowledged (POST /api/venue/ack-positions)";
        default:
            return "Venue disconnected: new orders refused until it is back";
    }
}

Notification venue(const Event& e, const NotifyNames& n) {
    const engine::VenueStatusPayload& v = e.payload.venue_status;
    const bool down = v.state != engine::VenueState::ready;
    Notification out = base(e, NotifyKind::venue, down ? NotifyLevel::critical : NotifyLevel::info);
    out.title = venue_title(v);
    out.fields = {{"state", std::string(to_string(v.state))}};
    if (down && v.reason != engine::Reason::none)
        out.fields.emplace_back("reason", std::string(to_string(v.reason)));
    if (v.state == engine::VenueState::refused && v.reason == engine::Reason::foreign_order)
        out.fields.emplace_back("foreign_orders", std::to_string(v.in_doubt));
    if (v.state == engine::VenueState::position_mismatch)
        out.fields.emplace_back("symbol", symbol_name(e, n));
    if (!down) {
        out.fields.emplace_back("resolved_orders", std::to_string(v.resolved));
        out.fields.emplace_back("reconnects", std::to_string(v.reconnects));
    }
    if (n.accounts.size() > 1 && v.account < n.accounts.size())
        out.fields.emplace_back("account", n.accounts[v.account]);
    return out;
}

Notification daily(const Event& e, const NotifyNames& n) {
    const engine::DayClosedPayload& d = e.payload.day_closed;
    Notification out = base(e, NotifyKind::daily_summary, NotifyLevel::info);
    const std::string pnl = (d.day_pnl.raw > 0 ? "+" : "") + d.day_pnl.to_string();
    out.title = "Day closed: P&L " + pnl + ", equity " + d.equity.to_string();
    out.fields = {{"day_start", iso_time(d.day_start_ns)},
                  {"day_pnl", pnl},
                  {"equity", d.equity.to_string()},
                  {"fills", std::to_string(d.fills)},
                  {"open_positions", std::to_string(d.open_positions)}};
    if (n.accounts.size() > 1 && d.account < n.accounts.size())
        out.fields.emplace_back("account", n.accounts[d.account]);
    return out;
}

Notification session(const Event& e, const NotifyNames& n) {
    Notification out = base(e, NotifyKind::session, NotifyLevel::info);
    out.title = "Session started: " + n.session;
    out.fields = {{"session", n.session}};
    return out;
}

}  // namespace

std::string_view to_string(NotifyKind k) noexcept {
    const auto i = static_cast<std::size_t>(k);
    return i < kNotifyKinds ? kKindNames[i] : "unknown";
}

std::string_view plural(NotifyKind k) noexcept {
    const auto i = static_cast<std::size_t>(k);
    return i < kNotifyKinds ? kKindPlurals[i] : "notifications";
}

std::optional<NotifyKind> parse_notify_kind(std::string_view name) noexcept {
    for (std::size_t i = 0; i < kNotifyKinds; ++i) {
        if (kKindNames[i] == name)
            return static_cast<NotifyKind>(i);
    }
    return std::nullopt;
}

std::string_view to_string(NotifyLevel l) noexcept {
    const auto i = static_cast<std::size_t>(l);
    return i < std::size(kLevelNames) ? kLevelNames[i] : "unknown";
}

std::optional<NotifyLevel> parse_notify_level(std::string_view name) noexcept {
    for (std::size_t i = 0; i < std::size(kLevelNames); ++i) {
        if (kLevelNames[i] == name)
            return static_cast<NotifyLevel>(i);
    }
    return std::nullopt;
}

std::optional<NotifyKind> notify_kind(const Event& e) noexcept {
    switch (e.header.type) {
        case EventType::venue_fill:
            return (e.payload.fill.flags & engine::kFillFinal) != 0 ? NotifyKind::fill
                                                                    : NotifyKind::partial_fill;
        case EventType::venue_reject:
        case EventType::order_denied:
            return NotifyKind::rejected;
        case EventType::venue_cancel:
            return NotifyKind::cancel;
        case EventType::command:
            switch (e.payload.command.code) {
                case engine::CommandCode::kill:
                case engine::CommandCode::unkill:
                    return NotifyKind::kill;
                case engine::CommandCode::pause:
                    return NotifyKind::pause;
                case engine::CommandCode::resume:
                    return NotifyKind::resume;
                default:
                    return std::nullopt;
            }
        case EventType::risk_state:
            // A breaker's halt; commands' own risk_state changes are told by the command.
            if (e.payload.risk_state.command == 0 &&
                (e.payload.risk_state.flags & engine::kRiskHalted) != 0)
                return NotifyKind::breaker;
            return std::nullopt;
        case EventType::feed_status:
            if (e.header.symbol == engine::kNoSymbol &&
                (e.payload.feed_status.state == engine::FeedState::disconnected ||
                 e.payload.feed_status.state == engine::FeedState::connected))
                return NotifyKind::feed;
            return std::nullopt;
        case EventType::session_start:
            return NotifyKind::session;
        case EventType::day_closed:
            return NotifyKind::daily_summary;
        case EventType::venue_status:
            // Disconnected, refused (foreign orders, or the broker refused the keys), a position
            // that differs from the broker's, and ready again; reconciling is a step between
            // them and the per-order records are the journal's detail.
            switch (e.payload.venue_status.state) {
                case engine::VenueState::disconnected:
                case engine::VenueState::refused:
                case engine::VenueState::position_mismatch:
                case engine::VenueState::ready:
                    return NotifyKind::venue;
                default:
                    return std::nullopt;
            }
        default:
            return std::nullopt;
    }
}

engine::EventTypeSet notify_event_types() noexcept {
    return {EventType::venue_fill,   EventType::venue_reject,  EventType::order_denied,
            EventType::venue_cancel, EventType::command,       EventType::risk_state,
            EventType::feed_status,  EventType::session_start, EventType::day_closed,
            EventType::venue_status};
}

std::uint64_t notify_key(const Event& e) noexcept {
    const std::uint64_t at = e.header.seq * kKeySlots;
    switch (e.header.type) {
        case EventType::day_closed:
            return at + 1 + 2 * std::uint64_t{e.payload.day_closed.account};
        case EventType::risk_state:
            return at + 2 + 2 * std::uint64_t{e.payload.risk_state.account};
        default:
            return at;
    }
}

Notification describe(const Event& e, const NotifyNames& names) {
    switch (e.header.type) {
        case EventType::venue_fill:
            return fill(e, names);
        case EventType::venue_reject:
        case EventType::order_denied:
        case EventType::venue_cancel:
            return order(e, names);
        case EventType::command:
            return command(e, names);
        case EventType::risk_state:
            return breaker(e, names);
        case EventType::feed_status:
            return feed(e);
        case EventType::day_closed:
            return daily(e, names);
        case EventType::venue_status:
            return venue(e, names);
        default:
            return session(e, names);
    }
}

Notification describe_stop(const SessionStop& stop, const NotifyNames& names) {
    Notification out;
    out.ts_ns = stop.ts_ns;
    out.kind = NotifyKind::session;
    out.level = stop.level;
    out.awaited = true;
    out.title = "Session stopped: " + names.session + " (" + stop.why + ")";
    out.fields = {{"session", names.session}, {"reason", stop.why}};
    if (stop.known) {
        out.fields.emplace_back("fills", std::to_string(stop.fills));
        out.fields.emplace_back("realized_pnl", stop.realized.to_string());
        out.fields.emplace_back("total_pnl", stop.total_pnl.to_string());
        out.fields.emplace_back("equity", stop.equity.to_string());
        out.fields.emplace_back("open_positions", std::to_string(stop.open_positions));
    }
    return out;
}

Notification summarize(const std::array<std::uint64_t, kNotifyKinds>& lost, std::uint64_t last_seq,
                       std::int64_t ts_ns) {
    Notification out;
    out.seq = last_seq;
    out.key = through_key(last_seq);
    out.ts_ns = ts_ns;
    out.kind = NotifyKind::summary;
    out.level = NotifyLevel::warning;
    std::string parts;
    std::uint64_t total = 0;
    for (std::size_t k = 0; k < kNotifyKinds; ++k) {
        if (lost[k] == 0)
            continue;
        total += lost[k];
        parts += (parts.empty() ? "" : ", ") + std::to_string(lost[k]) + " " +
                 std::string(plural(static_cast<NotifyKind>(k)));
        out.fields.emplace_back(std::string(kKindNames[k]), std::to_string(lost[k]));
    }
    out.title = parts + " not sent (the outbox was full); the journal has them all";
    out.fields.emplace_back("not_sent", std::to_string(total));
    out.fields.emplace_back("up_to_seq", std::to_string(last_seq));
    return out;
}

}  // namespace keel::adapters::notify
