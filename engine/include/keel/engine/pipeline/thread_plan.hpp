// ThreadPlan: which pipeline stages share a thread, where each thread is pinned and how it
// idles. Stages are numbered in pipeline order (0 = ingest); each thread runs a contiguous
// run of them, so rings exist only where one thread hands over to the next.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "keel/engine/pipeline/idle_strategy.hpp"

namespace keel::engine {

struct ThreadSpec {
    std::string name;
    std::size_t first_stage = 0;  // inclusive
    std::size_t last_stage = 0;   // inclusive
    std::optional<int> cpu;       // pinned with pthread_setaffinity_np when set
    IdleKind idle = IdleKind::backoff;
};

struct ThreadPlan {
    std::vector<ThreadSpec> threads;
    std::size_t ring_capacity = 4096;

    // All stages on one thread: what backtest and replay use.
    [[nodiscard]] static ThreadPlan fused(std::size_t stage_count, IdleKind idle = IdleKind::yield);
};

// The CPUs this process may run on (sched_getaffinity), ascending.
[[nodiscard]] std::vector<int> available_cpus();
// "0-1,4" style description of a CPU list.
[[nodiscard]] std::string describe_cpus(const std::vector<int>& cpus);

}  // namespace keel::engine
