#include "keel/adapters/notify/retry_policy.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

namespace keel::adapters::notify {
namespace {

constexpr std::uint64_t kMaxWaitMs = 3'600'000;

std::uint64_t seconds_to_ms(double s) noexcept {
    if (!(s > 0))
        return 0;
    return std::min<std::uint64_t>(kMaxWaitMs, static_cast<std::uint64_t>(std::ceil(s * 1000.0)));
}

std::uint64_t header_ms(std::string_view h) noexcept {
    while (!h.empty() && h.front() == ' ')
        h.remove_prefix(1);
    while (!h.empty() && h.back() == ' ')
        h.remove_suffix(1);
    double s = 0;
    const auto [end, ec] = std::from_chars(h.data(), h.data() + h.size(), s);
    if (ec != std::errc{} || end != h.data() + h.size())
        return 0;
    return seconds_to_ms(s);
}

double number_at(simdjson::dom::element e) noexcept {
    double d = 0;
    if (e.get_double().get(d) == simdjson::SUCCESS)
        return d;
    std::int64_t i = 0;
    if (e.get_int64().get(i) == simdjson::SUCCESS)
        return static_cast<double>(i);
    return 0;
}

std::uint64_t body_ms(std::string_view body) noexcept {
    if (body.empty() || body.size() > 64 * 1024)
        return 0;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    const simdjson::padded_string padded(body);
    if (parser.parse(padded).get(doc) != simdjson::SUCCESS)
        return 0;
    simdjson::dom::element v;
    if (doc["retry_after"].get(v) == simdjson::SUCCESS)  // Discord
        return seconds_to_ms(number_at(v));
    if (doc["parameters"]["retry_after"].get(v) == simdjson::SUCCESS)  // Telegram
        return seconds_to_ms(number_at(v));
    return 0;
}

}  // namespace

std::uint64_t Backoff::delay_ms(std::uint32_t failures) const noexcept {
    std::uint64_t d = initial_ms;
    for (std::uint32_t i = 1; i < failures && d < max_ms; ++i)
        d *= 2;
    return std::min<std::uint64_t>(d, max_ms);
}

std::uint64_t retry_after_ms(std::string_view header, std::string_view body) noexcept {
    return std::max(header_ms(header), body_ms(body));
}

RetryDecision decide(unsigned status, std::string_view retry_after_header, std::string_view body,
                     std::uint32_t failures, const Backoff& backoff) noexcept {
    if (status >= 200 && status < 300)
        return {Verdict::delivered, 0, false};
    const std::uint64_t backoff_ms = backoff.delay_ms(failures + 1);
    if (status == 429) {
        const std::uint64_t asked = retry_after_ms(retry_after_header, body);
        return {Verdict::retry, asked > 0 ? asked : backoff_ms, true};
    }
    if (status == 0 || status == 408 || status >= 500)
        return {Verdict::retry, backoff_ms, false};
    return {Verdict::give_up, 0, false};
}

}  // namespace keel::adapters::notify
