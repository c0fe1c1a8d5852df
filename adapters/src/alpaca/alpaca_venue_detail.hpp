// The Alpaca adapter's small pieces shared by its three source files: lanes and priorities of
// its requests, its tails (what a journaled reply says about Alpaca's ids and answers: lines
// of key=value, never a header or a key), and its backoff.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "keel/adapters/alpaca/alpaca_codec.hpp"
#include "keel/adapters/alpaca/alpaca_venue.hpp"
#include "keel/adapters/alpaca/rate_limiter.hpp"
#include "keel/engine/orders/order_book.hpp"
#include "keel/engine/pipeline/tail_arena.hpp"

namespace keel::adapters::alpaca::detail {

// Order requests (POST, PATCH, DELETE) and questions (GET) go on separate keep-alive
// connections, so a hung order request delays no lookup, and a slow list no cancel.
inline constexpr std::size_t kLaneOrders = 0;
inline constexpr std::size_t kLaneQueries = 1;
inline constexpr std::size_t kLanes = 2;

[[nodiscard]] inline std::size_t lane_of(RequestKind k) noexcept {
    return k == RequestKind::post || k == RequestKind::patch || k == RequestKind::cancel
               ? kLaneOrders
               : kLaneQueries;
}

[[nodiscard]] inline Priority priority_of(RequestKind k) noexcept {
    switch (k) {
        case RequestKind::cancel:
            return Priority::cancel;
        case RequestKind::post:
        case RequestKind::patch:
            return Priority::order;
        case RequestKind::lookup:
        case RequestKind::follow:
            return Priority::lookup;
        case RequestKind::list_open:
        case RequestKind::positions:
            return Priority::list;
        case RequestKind::account:
            return Priority::account;
    }
    return Priority::account;
}

// An order's terms as keel's book holds them (a POST sent again is the same order).
[[nodiscard]] inline engine::OrderPayload payload_of(const engine::OrderRecord& r) noexcept {
    engine::OrderPayload p{};
    p.order_id = r.order_id;
    p.price = r.price;
    p.stop_price = r.stop_price;
    p.quantity = r.quantity;
    p.side = r.side;
    p.order_type = r.type;
    p.tif = r.tif;
    p.role = r.role;
    p.action = engine::OrderAction::new_order;
    return p;
}

// One tail line: key=value, the value cut at a newline and at 200 characters (a counterparty's
// message is not trusted to be short or single-line).
[[nodiscard]] inline std::string tail_line(std::string_view key, std::string_view value) {
    value = value.substr(0, std::min(value.find('\n'), std::size_t{200}));
    std::string out(key);
    out += '=';
    out.append(value.data(), value.size());
    out += '\n';
    return out;
}

[[nodiscard]] inline std::string clipped(std::string tail) {
    if (tail.size() > engine::kMaxTailBytes)
        tail.resize(engine::kMaxTailBytes);
    return tail;
}

// The ids of an order Alpaca answered with (or an event carried).
[[nodiscard]] inline std::string tail_of(const Order& o, std::string_view execution_id = {}) {
    std::string t = tail_line("coid", o.client_order_id) + tail_line("aid", o.id);
    if (!execution_id.empty())
        t += tail_line("eid", execution_id);
    t += tail_line("status", o.status_text);
    return clipped(std::move(t));
}

// A refusal: the request's client_order_id, the HTTP status, Alpaca's code and message.
[[nodiscard]] inline std::string tail_of_error(std::string_view client_order_id, unsigned http,
                                               const ApiError& e) {
    return clipped(tail_line("coid", client_order_id) + tail_line("http", std::to_string(http)) +
                   tail_line("code", std::to_string(e.code)) + tail_line("text", e.message));
}

// A request without a plain answer: its status (0: none), whether it had been written, the
// time it took and what went wrong.
[[nodiscard]] inline std::string outcome_tail(unsigned http, bool written,
                                              std::chrono::nanoseconds elapsed,
                                              std::string_view what) {
    return clipped(tail_line("http", std::to_string(http)) +
                   tail_line("written", written ? "1" : "0") +
                   tail_line("ms", std::to_string(elapsed.count() / 1'000'000)) +
                   tail_line("text", what));
}

// A tail back into its fields (restore).
[[nodiscard]] inline std::unordered_map<std::string, std::string> parse_tail(
    std::string_view tail) {
    std::unordered_map<std::string, std::string> out;
    while (!tail.empty()) {
        const std::size_t end = tail.find('\n');
        const std::string_view line = tail.substr(0, end);
        const std::size_t eq = line.find('=');
        if (eq != std::string_view::npos)
            out.emplace(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
        if (end == std::string_view::npos)
            break;
        tail.remove_prefix(end + 1);
    }
    return out;
}

// A tail on one line, for the log.
[[nodiscard]] inline std::string readable(std::string tail) {
    std::replace(tail.begin(), tail.end(), '\n', ' ');
    return tail;
}

// How long before a request without a plain answer is made again (or looked up): a 429 waits
// for the limiter (which holds everything until Alpaca's reset), anything else backs off from
// 250 ms, doubling, to 10 s.
[[nodiscard]] inline std::chrono::milliseconds backoff(
    const http::HttpsClient::Response& res, std::uint32_t attempt) noexcept {
    if (res.status == 429)
        return std::chrono::milliseconds(0);
    const std::uint32_t shift = std::min<std::uint32_t>(attempt, 6);
    return std::chrono::milliseconds(std::min<std::int64_t>(250LL << shift, 10'000));
}

}  // namespace keel::adapters::alpaca::detail
