// Venue client ids: the id a venue is sent for keel's order `order_id` (order_id.hpp) is the
// session's venue id prefix, journaled in session_start, followed by the order id, both in
// lower-case base 32. Order ids restart in every journal (they are journal sequences); the
// prefix does not, so a venue never sees an id from an earlier journal again (Alpaca refuses a
// reused client_order_id forever; FIX counterparties reject a duplicate ClOrdID), and the id is
// still a pure function of the journal.
//
// Shape: kVenueIdPrefixChars (7) prefix characters, then 1-13 order id characters with no
// leading zero: at most 20 characters of [0-9a-v], within every venue's limit keel talks to
// (FIX ClOrdID at venues that cap it at 20, Alpaca's client_order_id at 128, Tradovate's
// clOrdId). The fixed-length prefix makes ids of two prefixes disjoint.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace keel::engine {

inline constexpr std::size_t kVenueIdPrefixChars = 7;
inline constexpr unsigned kVenueIdPrefixBits = 5 * kVenueIdPrefixChars;  // 35
inline constexpr std::uint64_t kVenueIdPrefixMask = (std::uint64_t{1} << kVenueIdPrefixBits) - 1;
// 64 bits of order id need 13 base-32 digits.
inline constexpr std::size_t kMaxVenueIdChars = kVenueIdPrefixChars + 13;

inline constexpr std::string_view kVenueIdDigits = "0123456789abcdefghijklmnopqrstuv";

// A venue id, NUL-free, in a fixed buffer (no allocation: built on adapter threads per order).
struct VenueId {
    std::array<char, kMaxVenueIdChars> chars{};
    std::uint8_t length = 0;
    [[nodiscard]] std::string_view view() const noexcept { return {chars.data(), length}; }
};

// The prefix as its 7 characters (what journal dump shows as venue_id_prefix).
[[nodiscard]] constexpr std::array<char, kVenueIdPrefixChars> venue_id_prefix_chars(
    std::uint64_t prefix) noexcept {
    std::array<char, kVenueIdPrefixChars> out{};
    for (std::size_t i = 0; i < kVenueIdPrefixChars; ++i)
        out[kVenueIdPrefixChars - 1 - i] = kVenueIdDigits[(prefix >> (5 * i)) & 31u];
    return out;
}

// The id the venue is sent for order_id in the session whose prefix is `prefix` (only its low
// 35 bits are used).
[[nodiscard]] constexpr VenueId make_venue_id(std::uint64_t prefix, std::uint64_t order_id) noexcept {
    VenueId id;
    const auto p = venue_id_prefix_chars(prefix & kVenueIdPrefixMask);
    for (std::size_t i = 0; i < kVenueIdPrefixChars; ++i)
        id.chars[i] = p[i];
    std::size_t digits = 1;
    while (digits < 13 && (order_id >> (5 * digits)) != 0)
        ++digits;
    for (std::size_t i = 0; i < digits; ++i)
        id.chars[kVenueIdPrefixChars + digits - 1 - i] = kVenueIdDigits[(order_id >> (5 * i)) & 31u];
    id.length = static_cast<std::uint8_t>(kVenueIdPrefixChars + digits);
    return id;
}

// A backtest's prefix: a function of its config hash and seed, so a backtest run twice writes
// the same journal (it only ever talks to the simulated venue). A live session draws its own
// once per journal (replay/assembly). SplitMix64's finalizer spreads the bits.
[[nodiscard]] constexpr std::uint64_t derived_venue_id_prefix(std::uint64_t config_hash,
                                                              std::uint64_t seed) noexcept {
    std::uint64_t z = config_hash ^ (seed * 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (z ^ (z >> 31)) & kVenueIdPrefixMask;
}

// keel's order id from a venue id of this session; nullopt for an id keel did not make with
// `prefix` (another session's, another client's, or malformed).
[[nodiscard]] constexpr std::optional<std::uint64_t> parse_venue_id(std::uint64_t prefix,
                                                                    std::string_view text) noexcept {
    if (text.size() <= kVenueIdPrefixChars || text.size() > kMaxVenueIdChars)
        return std::nullopt;
    const auto p = venue_id_prefix_chars(prefix & kVenueIdPrefixMask);
    for (std::size_t i = 0; i < kVenueIdPrefixChars; ++i) {
        if (text[i] != p[i])
            return std::nullopt;
    }
    const std::string_view digits = text.substr(kVenueIdPrefixChars);
    if (digits.size() > 1 && digits.front() == '0')
        return std::nullopt;  // not the one spelling make_venue_id gives
    // 13 digits hold 65 bits: the first carries bits 60-63 and may be at most f (15).
    if (digits.size() == 13 && kVenueIdDigits.find(digits.front()) > 15)
        return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : digits) {
        const std::size_t d = kVenueIdDigits.find(c);
        if (d == std::string_view::npos)
            return std::nullopt;
        value = (value << 5) | d;
    }
    return value;
}

}  // namespace keel::engine
