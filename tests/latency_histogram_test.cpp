// Proves the latency histogram's buckets tile the range exactly and report percentiles within
// 1% relative error with fixed memory.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "keel/engine/pipeline/latency_histogram.hpp"

using keel::engine::LatencyHistogram;

TEST(LatencyHistogram, BucketsTileTheRangeWithBoundedWidth) {
    std::uint64_t expected_low = 0;
    for (std::size_t i = 0; i < LatencyHistogram::kBuckets; ++i) {
        ASSERT_EQ(LatencyHistogram::lowest_of(i), expected_low) << i;
        const std::uint64_t width = LatencyHistogram::width_of(i);
        // Relative width at most 1/256 once past the exact range.
        if (expected_low >= LatencyHistogram::kSubCount) {
            ASSERT_LE(width * 256, expected_low);
        }
        ASSERT_EQ(LatencyHistogram::index_of(expected_low), i);
        ASSERT_EQ(LatencyHistogram::index_of(expected_low + width - 1), i);
        expected_low += width;
    }
    EXPECT_EQ(expected_low, LatencyHistogram::kMaxValue + 1);
}

TEST(LatencyHistogram, PercentilesWithinOnePercent) {
    std::mt19937_64 rng(7);
    std::lognormal_distribution<double> dist(7.0, 1.5);  // ~1 us median, long tail
    std::vector<std::uint64_t> values;
    auto h = std::make_unique<LatencyHistogram>();
    for (int i = 0; i < 100'000; ++i) {
        const auto v = static_cast<std::uint64_t>(dist(rng)) + 1;
        values.push_back(v);
        h->record(v);
    }
    std::sort(values.begin(), values.end());
    for (const double q : {0.5, 0.9, 0.99, 0.999, 0.9999}) {
        const auto exact =
            values[static_cast<std::size_t>(q * static_cast<double>(values.size()) + 0.5) - 1];
        const auto got = h->value_at(q);
        EXPECT_NEAR(static_cast<double>(got), static_cast<double>(exact),
                    static_cast<double>(exact) * 0.01)
            << q;
    }
    EXPECT_EQ(h->count(), values.size());
    EXPECT_EQ(h->max(), values.back());
    EXPECT_EQ(h->value_at(1.0), values.back());
}

TEST(LatencyHistogram, ClampsValuesAboveTheRange) {
    LatencyHistogram h;
    h.record(UINT64_MAX);
    EXPECT_EQ(h.count(), 1u);
    EXPECT_EQ(h.max(), LatencyHistogram::kMaxValue);
}

TEST(LatencyHistogram, EmptyReportsZero) {
    LatencyHistogram h;
    EXPECT_EQ(h.value_at(0.99), 0u);
}
