// Notification: what the outbox tells a trader about one event (a fill, a reject, a kill...),
// before any service's format: a kind, a level, a one-line title and named fields. Made on the
// outbox's cold thread from the events the derived-event tap copies (notify_kind says which
// events those are); the service formats are notify_format.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/engine/core/event.hpp"
#include "keel/engine/core/symbol_table.hpp"
#include "keel/engine/pipeline/derived_event_tap.hpp"

namespace keel::adapters::notify {

// What a notification is about: the names a `notify` target's `events` list takes.
enum class NotifyKind : std::uint8_t {
    fill = 0,          // an order filled completely
    partial_fill = 1,  // a part of an order filled
    rejected = 2,      // an order refused, by risk or by the venue, with the reason
    cancel = 3,        // an order canceled or expired
    breaker = 4,       // a circuit breaker halted trading (daily loss, drawdown)
    kill = 5,          // the kill switch engaged or lifted
    pause = 6,         // trading paused
    resume = 7,        // trading resumed
    feed = 8,          // the market-data feed disconnected or reconnected
    session = 9,       // the session started or stopped
    summary = 10,      // what the outbox could not send (always sent to the target that lost it)
    daily_summary = 11,  // a trading day closed: its P&L, equity, fills and open positions
    venue = 12,          // a venue's session (FIX, a broker's API) disconnected or is ready again
};
inline constexpr std::size_t kNotifyKinds = 13;
[[nodiscard]] std::string_view to_string(NotifyKind k) noexcept;
[[nodiscard]] std::optional<NotifyKind> parse_notify_kind(std::string_view name) noexcept;
// The plural a summary counts in ("fills", "rejected orders").
[[nodiscard]] std::string_view plural(NotifyKind k) noexcept;

enum class NotifyLevel : std::uint8_t { info = 0, warning = 1, critical = 2 };
[[nodiscard]] std::string_view to_string(NotifyLevel l) noexcept;
[[nodiscard]] std::optional<NotifyLevel> parse_notify_level(std::string_view name) noexcept;

// Notifications in the order a target is sent them: several can come of one sequence number
// (an input, then what each account's risk stage derived from it: a closed day, a breaker), so
// the key a delivery's audit records, and recovery compares, is the sequence number times 32
// plus a slot: 0 an input; 1 + 2 * account for a day_closed, 2 + 2 * account for a risk_state
// (kMaxAccounts is 8, so the slots stay under 17); 31 for everything up to and including the
// sequence (a summary, the session-stop message).
inline constexpr std::uint64_t kKeySlots = 32;
[[nodiscard]] constexpr std::uint64_t through_key(std::uint64_t seq) noexcept {
    return seq * kKeySlots + (kKeySlots - 1);
}
[[nodiscard]] std::uint64_t notify_key(const engine::Event& e) noexcept;

struct Notification {
    std::uint64_t seq = 0;   // the event's sequence; a summary's: the last event it covers
    std::uint64_t key = 0;   // notify_key of the event; a summary's: through_key(seq)
    std::int64_t ts_ns = 0;  // the event's engine time (Unix ns)
    NotifyKind kind = NotifyKind::fill;
    NotifyLevel level = NotifyLevel::info;
    std::string title;  // one line: "Filled: BUY 1000 USDCHF @ 0.9012"
    std::vector<std::pair<std::string, std::string>> fields;  // name, value; in display order
    // The session-stop message, which NotifyOutbox::announce waits for (it is made on the cold
    // side from the session's figures, not from a journaled event).
    bool awaited = false;
};

// Why and where a live session stopped, for its "session stopped" message: the figures are the
// last engine snapshot's (every account's summed); known is false when there was none.
struct SessionStop {
    std::string why;  // "stop signal (SIGINT or SIGTERM)", "journal write failed", ...
    NotifyLevel level = NotifyLevel::warning;
    std::int64_t ts_ns = 0;  // the snapshot's engine time (0: the outbox's newest event's)
    bool known = false;
    std::uint64_t fills = 0;
    engine::Money realized{}, total_pnl{}, equity{};
    std::size_t open_positions = 0;
};

// The names a notification shows instead of ids.
struct NotifyNames {
    std::string session;
    const engine::SymbolTable* symbols = nullptr;
    std::vector<std::string> accounts;  // config `accounts`; a single account is not named
};

// The kind of notification an event makes, or nullopt for one that makes none (market data,
// acks, audits, a stale symbol...). Fills, venue rejects and cancels, risk denials, operator
// commands, feed connection changes and session start are inputs (so restart recovery finds
// them in the input journal); a circuit breaker's halt is risk's derived risk_state.
[[nodiscard]] std::optional<NotifyKind> notify_kind(const engine::Event& e) noexcept;
// The event types notify_kind may accept: what the outbox asks its tap for.
[[nodiscard]] engine::EventTypeSet notify_event_types() noexcept;
// The notification of an event notify_kind accepts.
[[nodiscard]] Notification describe(const engine::Event& e, const NotifyNames& names);
// The "session stopped" message (kind session, awaited).
[[nodiscard]] Notification describe_stop(const SessionStop& stop, const NotifyNames& names);
// What a target could not be sent: counts by kind over events up to last_seq.
[[nodiscard]] Notification summarize(const std::array<std::uint64_t, kNotifyKinds>& lost,
                                     std::uint64_t last_seq, std::int64_t ts_ns);

}  // namespace keel::adapters::notify
