#include "keel/adapters/parse/timestamp.hpp"

namespace keel::adapters {
namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept {
    if (pos + n > s.size())
        return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

}  // namespace

std::optional<std::int64_t> parse_timestamp_ns(std::string_view s) noexcept {
    if (s.empty())
        return std::nullopt;
    // Epoch integer: magnitude decides the unit (seconds stay below 1e11 until year 5138).
    if (s.find_first_not_of("0123456789") == std::string_view::npos) {
        if (s.size() > 19)
            return std::nullopt;
        std::uint64_t v = 0;
        for (char c : s)
            v = v * 10 + static_cast<std::uint64_t>(c - '0');
        if (v > static_cast<std::uint64_t>(INT64_MAX))
            return std::nullopt;
        const auto n = static_cast<std::int64_t>(v);
        if (n < 100'000'000'000LL)
            return n * 1'000'000'000LL;
        if (n < 100'000'000'000'000LL)
            return n * 1'000'000LL;
        if (n < 100'000'000'000'000'000LL)
            return n * 1'000LL;
        return n;
    }
    int y, mo, d;
    if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) ||
        s[7] != '-' || !digits(s, 8, 2, d)) {
        return std::nullopt;
    }
    static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > kDaysIn[mo - 1])
        return std::nullopt;
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return std::nullopt;
    std::int64_t ns = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) *
                      86'400'000'000'000LL;
    std::size_t pos = 10;
    if (pos == s.size())
        return ns;
    if (s[pos] != 'T' && s[pos] != ' ')
        return std::nullopt;
    int hh, mm, ss = 0;
    if (!digits(s, pos + 1, 2, hh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, mm)) {
        return std::nullopt;
    }
    pos += 6;
    std::int64_t frac_ns = 0;
    if (pos < s.size() && s[pos] == ':') {
        if (!digits(s, pos + 1, 2, ss))
            return std::nullopt;
        pos += 3;
        if (pos < s.size() && s[pos] == '.') {
            ++pos;
            std::int64_t scale = 100'000'000;
            const std::size_t start = pos;
            while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                if (scale == 0 && s[pos] != '0')
                    return std::nullopt;  // finer than 1 ns
                frac_ns += (s[pos] - '0') * scale;
                scale /= 10;
                ++pos;
            }
            if (pos == start)
                return std::nullopt;
        }
    }
    if (hh > 23 || mm > 59 || ss > 60)
        return std::nullopt;
    if (pos < s.size()) {
        const std::string_view zone = s.substr(pos);
        if (zone != "Z" && zone != "+00:00" && zone != "+0000")
            return std::nullopt;
    }
    ns += (static_cast<std::int64_t>(hh) * 3600 + mm * 60 + ss) * 1'000'000'000LL + frac_ns;
    return ns;
}

}  // namespace keel::adapters
