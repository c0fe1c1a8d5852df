// SplitMix64: the simulated venue's only source of randomness. A tiny, seeded, fully
// deterministic generator (Steele, Lea and Flood 2014): the same seed gives the same stream on
// every machine and build, which is what journaling the seed in session_start relies on.
#pragma once

#include <cstdint>

namespace keel::adapters {

// -Wpedantic would flag the GNU 128-bit type without __extension__.
__extension__ typedef unsigned __int128 u128;

class SplitMix64 {
  public:
    explicit constexpr SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}

    [[nodiscard]] constexpr std::uint64_t next() noexcept {
        std::uint64_t z = (state_ += 0x9E37'79B9'7F4A'7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58'476D'1CE4'E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D0'49BB'1331'11EBull;
        return z ^ (z >> 31);
    }

    // Uniform in [0, bound], both ends included. Lemire's multiply-and-reject keeps it unbiased;
    // a rejection happens with probability below (bound + 1) / 2^64, so the loop is bounded in
    // practice, and the bound below makes a broken generator fail loudly instead of spinning.
    [[nodiscard]] constexpr std::uint64_t uniform_inclusive(std::uint64_t bound) noexcept {
        if (bound == UINT64_MAX)
            return next();
        const std::uint64_t range = bound + 1;
        const std::uint64_t threshold = (0 - range) % range;
        for (int attempt = 0; attempt < 64; ++attempt) {
            const u128 m = static_cast<u128>(next()) * range;
            if (static_cast<std::uint64_t>(m) >= threshold)
                return static_cast<std::uint64_t>(m >> 64);
        }
        return 0;  // unreachable for any working generator: 64 rejections in a row
    }

  private:
    std::uint64_t state_;
};

}  // namespace keel::adapters
