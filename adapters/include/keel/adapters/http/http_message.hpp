// HttpRequest / HttpResponse: what the HTTP server (http_server.hpp) hands a handler and what
// the handler answers, free of Beast types so handlers (webhook receiver, control API) are
// tested without sockets. A handler answers exactly once, possibly later (an alert is answered
// only once it is journaled), by calling the Respond it was given, on any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "keel/engine/core/event.hpp"

namespace keel::adapters::http {

struct HttpRequest {
    engine::HttpMethod method = engine::HttpMethod::other;
    std::string target;  // path and query, as sent
    // Header names in lower case, in the order received. Authorization is among them: a
    // handler must never log or journal it.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::uint32_t remote_ipv4 = 0;  // host byte order; 0 when the peer is not IPv4
    std::string remote;             // the peer's address as text

    // The first header of that (lower-case) name, or empty.
    [[nodiscard]] std::string_view header(std::string_view name) const noexcept {
        for (const auto& [k, v] : headers) {
            if (k == name)
                return v;
        }
        return {};
    }
    // The target without its query string.
    [[nodiscard]] std::string_view path() const noexcept {
        const std::string_view t = target;
        return t.substr(0, t.find('?'));
    }
};

struct HttpResponse {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // extra, e.g. Retry-After
};

using Respond = std::function<void(HttpResponse)>;
using Handler = std::function<void(HttpRequest&&, Respond)>;

}  // namespace keel::adapters::http
