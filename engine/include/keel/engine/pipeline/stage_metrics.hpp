// Per-stage and per-ring counters: written by the stage's own thread only, readable by any
// thread at any time (relaxed single-writer atomics; a plain mov on x86).
#pragma once

#include <atomic>
#include <cstdint>

#include "keel/engine/pipeline/latency_histogram.hpp"

namespace keel::engine {

struct Counter {
    std::atomic<std::uint64_t> value{0};
    void add(std::uint64_t n = 1) noexcept {
        value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    void set_max(std::uint64_t v) noexcept {
        if (v > value.load(std::memory_order_relaxed))
            value.store(v, std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t get() const noexcept {
        return value.load(std::memory_order_relaxed);
    }
};

struct StageMetrics {
    // What the stage saw: every input ingest sequenced plus every event the stages before it
    // derived (ingest: the inputs it sequenced). The runner's control events (flush, shutdown,
    // snapshot) travel the same path and are not counted, here or in events_out.
    Counter events_in;
    Counter events_out;
    Counter ring_full_waits;  // times this stage found its output ring full (back-pressure)
    Counter ring_high_water;  // highest depth seen on this stage's input ring
    // Processing time, sampled (one call in 128 per thread): a downstream stage's time inside
    // on_event for a counted event, excluding the stages after it; ingest's, a step that
    // sequenced an input (taking it from the source, the checks, the journal append with any
    // fdatasync its durability makes, passing it on). A step that found no input is not timed.
    LatencyHistogram service_ns;
};

}  // namespace keel::engine
