// post_json: one HTTP/1.1 POST with Boost.Beast, over TLS (OpenSSL, the system's CA store,
// peer and host-name verification, SNI) for https URLs or plain TCP for http ones, with one
// deadline over connect, handshake, write and read. Blocking: it runs on the notification
// outbox's own thread, never on a pipeline thread. Its errors never quote the URL, which is a
// secret (a webhook's path or a bot token).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keel::adapters::notify {

struct ParsedUrl {
    bool tls = false;
    std::string host;
    std::string port;    // "443", "80" or as given
    std::string target;  // path and query, at least "/"
};
// nullopt when url is not http:// or https:// with a host.
[[nodiscard]] std::optional<ParsedUrl> parse_url(std::string_view url);

struct HttpResult {
    unsigned status = 0;      // 0: no answer (error says why)
    std::string retry_after;  // the Retry-After header, if any
    std::string body;         // the answer's body (at most 64 KiB kept)
    std::string error;        // why there was no answer (no URL in it)
};

[[nodiscard]] HttpResult post_json(const ParsedUrl& url, std::string_view content_type,
                                   std::string_view body, std::chrono::milliseconds timeout);

}  // namespace keel::adapters::notify
