// The four services' message shapes: a Notification (notification.hpp) as the body of one POST.
//   discord   a webhook execution with one embed (title, colour by level, fields inline, the
//             event time, a footer with session and sequence), on the versioned route
//             /api/v10/webhooks/... (discord_route rewrites an unversioned one);
//   slack     an incoming webhook's `text` (the fallback shown in notifications) and `blocks`
//             (a header, a section of fields, a context line);
//   telegram  the Bot API's sendMessage: chat_id, `text` in HTML (escaped), parse_mode HTML;
//   webhook   keel's own JSON, documented in the README: kind, level, seq, time, session,
//             title, fields (an object of strings).
// Pure functions, cold thread; the tests pin each shape.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "keel/adapters/notify/notification.hpp"

namespace keel::adapters::notify {

enum class NotifyService : std::uint8_t { discord, slack, telegram, webhook };
[[nodiscard]] std::string_view to_string(NotifyService s) noexcept;
[[nodiscard]] std::optional<NotifyService> parse_notify_service(std::string_view name) noexcept;

struct FormattedPost {
    std::string content_type;
    std::string body;
};

// session: shown in the footer or context; chat_id: Telegram's (ignored by the others).
[[nodiscard]] FormattedPost format_post(NotifyService service, const Notification& n,
                                        std::string_view session, std::string_view chat_id);

// Text as a JSON string literal's inside (quotes, backslashes, control characters escaped).
[[nodiscard]] std::string json_escape(std::string_view text);
// Text for Telegram's HTML parse mode: &, <, > and " as entities.
[[nodiscard]] std::string html_escape(std::string_view text);
// Text for Slack's mrkdwn: &, <, > as entities (Slack's own rule).
[[nodiscard]] std::string slack_escape(std::string_view text);
// Engine time (Unix ns) as ISO 8601 UTC with milliseconds: 2026-12-07T00:01:02.345Z.
[[nodiscard]] std::string iso_time(std::int64_t ts_ns);
// A Discord webhook URL on the versioned route: ".../api/webhooks/..." becomes
// ".../api/v10/webhooks/..."; any other URL is returned as it is.
[[nodiscard]] std::string discord_route(std::string_view url);
// Where a Telegram bot's sendMessage is: base (https://api.telegram.org, or a test server)
// + "/bot" + token + "/sendMessage".
[[nodiscard]] std::string telegram_send_url(std::string_view base, std::string_view token);

}  // namespace keel::adapters::notify
