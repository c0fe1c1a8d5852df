#include "keel/adapters/notify/notify_format.hpp"

#include <ctime>

#include "keel/adapters/http/http_error.hpp"

namespace keel::adapters::notify {
namespace {

constexpr std::string_view kServiceNames[] = {"discord", "slack", "telegram", "webhook"};

// Discord embed colours by level: green, amber, red.
constexpr int kLevelColour[] = {0x2ecc71, 0xf1c40f, 0xe74c3c};

// &, < and > as entities (Slack's mrkdwn needs no more); HTML also quotes.
std::string markup_escape(std::string_view text, bool quotes) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += quotes ? "&quot;" : "\"";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string quoted(std::string_view text) {
    std::string out;
    http::append_json_string(out, text);
    return out;
}

std::string footer(const Notification& n, std::string_view session) {
    return "keel · " + std::string(session) + " · seq " + std::to_string(n.seq);
}

std::string discord(const Notification& n, std::string_view session) {
    std::string fields;
    for (const auto& [name, value] : n.fields) {
        fields += (fields.empty() ? "" : ",");
        fields += "{\"name\":" + quoted(name) + ",\"value\":" + quoted(value) + ",\"inline\":true}";
    }
    return "{\"username\":\"keel\",\"embeds\":[{\"title\":" + quoted(n.title) +
           ",\"color\":" + std::to_string(kLevelColour[static_cast<int>(n.level)]) +
           ",\"timestamp\":" + quoted(iso_time(n.ts_ns)) + ",\"fields\":[" + fields +
           "],\"footer\":{\"text\":" + quoted(footer(n, session)) + "}}]}";
}

std::string slack(const Notification& n, std::string_view session) {
    std::string fields;
    // A section holds at most 10 fields (Slack's limit).
    for (std::size_t i = 0; i < n.fields.size() && i < 10; ++i) {
        fields += (fields.empty() ? "" : ",");
        fields += "{\"type\":\"mrkdwn\",\"text\":" +
                  quoted("*" + slack_escape(n.fields[i].first) + "*\n" +
                         slack_escape(n.fields[i].second)) +
                  "}";
    }
    std::string blocks = "{\"type\":\"header\",\"text\":{\"type\":\"plain_text\",\"text\":" +
                         quoted(n.title.substr(0, 150)) + "}}";
    if (!fields.empty())
        blocks += ",{\"type\":\"section\",\"fields\":[" + fields + "]}";
    blocks += ",{\"type\":\"context\",\"elements\":[{\"type\":\"mrkdwn\",\"text\":" +
              quoted(slack_escape(std::string(to_string(n.level)) + " · " + iso_time(n.ts_ns) +
                                  " · " + footer(n, session))) +
              "}]}";
    return "{\"text\":" + quoted(slack_escape(n.title)) + ",\"blocks\":[" + blocks + "]}";
}

std::string telegram(const Notification& n, std::string_view session, std::string_view chat_id) {
    std::string text = "<b>" + html_escape(n.title) + "</b>";
    for (const auto& [name, value] : n.fields)
        text += "\n" + html_escape(name) + ": <code>" + html_escape(value) + "</code>";
    text += "\n<i>" + html_escape(footer(n, session)) + " · " + iso_time(n.ts_ns) + "</i>";
    return "{\"chat_id\":" + quoted(chat_id) + ",\"text\":" + quoted(text) +
           ",\"parse_mode\":\"HTML\",\"disable_web_page_preview\":true}";
}

std::string webhook(const Notification& n, std::string_view session) {
    std::string fields;
    for (const auto& [name, value] : n.fields)
        fields += (fields.empty() ? "" : ",") + quoted(name) + ":" + quoted(value);
    return "{\"source\":\"keel\",\"kind\":" + quoted(to_string(n.kind)) +
           ",\"level\":" + quoted(to_string(n.level)) + ",\"seq\":" + std::to_string(n.seq) +
           ",\"time\":" + quoted(iso_time(n.ts_ns)) + ",\"session\":" + quoted(session) +
           ",\"title\":" + quoted(n.title) + ",\"fields\":{" + fields + "}}";
}

}  // namespace

std::string_view to_string(NotifyService s) noexcept {
    const auto i = static_cast<std::size_t>(s);
    return i < std::size(kServiceNames) ? kServiceNames[i] : "unknown";
}

std::optional<NotifyService> parse_notify_service(std::string_view name) noexcept {
    for (std::size_t i = 0; i < std::size(kServiceNames); ++i) {
        if (kServiceNames[i] == name)
            return static_cast<NotifyService>(i);
    }
    return std::nullopt;
}

FormattedPost format_post(NotifyService service, const Notification& n, std::string_view session,
                          std::string_view chat_id) {
    switch (service) {
        case NotifyService::discord:
            return {"application/json", discord(n, session)};
        case NotifyService::slack:
            return {"application/json", slack(n, session)};
        case NotifyService::telegram:
            return {"application/json", telegram(n, session, chat_id)};
        case NotifyService::webhook:
            break;
    }
    return {"application/json", webhook(n, session)};
}

// The HTTP layer's JSON string writer, without its quotes.
std::string json_escape(std::string_view text) {
    std::string out;
    http::append_json_string(out, text);
    return out.substr(1, out.size() - 2);
}

std::string html_escape(std::string_view text) {
    return markup_escape(text, true);
}

std::string slack_escape(std::string_view text) {
    return markup_escape(text, false);
}

std::string iso_time(std::int64_t ts_ns) {
    std::int64_t s = ts_ns / 1'000'000'000;
    std::int64_t ms = (ts_ns % 1'000'000'000) / 1'000'000;
    if (ms < 0) {
        ms += 1000;
        --s;
    }
    const std::time_t t = static_cast<std::time_t>(s);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms));
    return buf;
}

std::string discord_route(std::string_view url) {
    constexpr std::string_view kOld = "/api/webhooks/";
    const std::size_t at = url.find(kOld);
    if (at == std::string_view::npos)
        return std::string(url);
    return std::string(url.substr(0, at)) + "/api/v10/webhooks/" +
           std::string(url.substr(at + kOld.size()));
}

std::string telegram_send_url(std::string_view base, std::string_view token) {
    std::string b(base);
    while (!b.empty() && b.back() == '/')
        b.pop_back();
    return b + "/bot" + std::string(token) + "/sendMessage";
}

}  // namespace keel::adapters::notify
