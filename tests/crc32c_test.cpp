// Proves CRC32C matches the standard check values, and the hardware and table paths agree.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "keel/journal/crc32c.hpp"

using namespace keel::journal;

TEST(Crc32c, MatchesStandardCheckValues) {
    const std::string check = "123456789";
    EXPECT_EQ(crc32c(check.data(), check.size()), 0xE3069283u);
    EXPECT_EQ(crc32c_portable(check.data(), check.size()), 0xE3069283u);
    const std::vector<unsigned char> zeros(32, 0);  // RFC 3720 B.4
    EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
    const std::vector<unsigned char> ones(32, 0xFF);
    EXPECT_EQ(crc32c(ones.data(), ones.size()), 0x62A8AB43u);
}

TEST(Crc32c, HardwareAndPortableAgreeAndExtendIncrementally) {
    std::mt19937 rng(3);
    std::vector<unsigned char> data(4099);
    for (auto& b : data)
        b = static_cast<unsigned char>(rng());
    for (std::size_t n : {0u, 1u, 7u, 8u, 9u, 63u, 64u, 1000u, 4099u}) {
        EXPECT_EQ(crc32c(data.data(), n), crc32c_portable(data.data(), n)) << n;
    }
    const std::uint32_t whole = crc32c(data.data(), data.size());
    const std::uint32_t part =
        crc32c(data.data() + 100, data.size() - 100, crc32c(data.data(), 100));
    EXPECT_EQ(part, whole);
}
