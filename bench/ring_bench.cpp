// ring_bench: keel's SpscRing<Event> (Boost.Lockfree's spsc_queue behind the engine's interface)
// against Boost's queue used directly, moodycamel, a mutex queue and the raw cache-line floor,
// round trip and throughput, with the ratios computed in one run.
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include <readerwriterqueue/readerwriterqueue.h>
#include <boost/lockfree/spsc_queue.hpp>
#include "bench_support.hpp"

#include "keel/engine/core/event.hpp"
#include "keel/engine/pipeline/idle_strategy.hpp"
#include "keel/engine/pipeline/spsc_ring.hpp"
#include "keel/engine/pipeline/thread_plan.hpp"

namespace {

using keel::bench::CollectingReporter;
using keel::bench::Goal;
using keel::bench::kNotGated;
using keel::bench::rate_ratio;
using keel::bench::RatioRow;
using keel::bench::stdout_is_console;
using keel::bench::time_ratio;

using keel::engine::cpu_relax;
using keel::engine::Event;
using keel::engine::kFalseSharingRange;

// The engine's default ring size (ThreadPlan::ring_capacity), used for every queue so that
// no peer gets a smaller or larger working set than ours.
constexpr std::size_t kRingCapacity = 4096;
// Throughput benchmarks count one iteration per block of this many items.
constexpr std::size_t kBlock = 1024;
// Round trips done before the timed loop, so the first timed one finds warm lines.
constexpr int kWarmupRoundTrips = 1000;

// Where the two threads of every benchmark run. The benchmark's own thread (the timed side)
// is pinned once in main(); each partner thread pins itself before it reports ready.
struct CpuPlan {
    int partner_cpu = -1;  // -1: not pinned
};
CpuPlan g_cpu_plan;

bool pin_current_thread(int cpu) {
    if (cpu < 0)
        return true;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

Event make_bench_event(std::uint64_t seq) {
    return keel::engine::make_event(keel::engine::EventType::trade, keel::engine::Source::feed, seq,
                                    0, keel::engine::kNoSymbol);
}

// The other side of a benchmark: a pinned std::thread running body(stop). The constructor
// returns once the thread runs, so thread start-up is never inside the timed loop; finish()
// (or the destructor) raises stop and joins. Every wait in a body checks stop, so a benchmark
// that ends (or fails) at any point cannot leave its partner spinning forever.
//
// The partner spins too, so another process taking its CPU slows the timed side as surely as
// taking the timed thread's own CPU, while the timed thread's CPU time stays full. The partner
// therefore measures its own share of wall time on its CPU; the benchmark reports it as the
// counter kPartnerBusyShare, which CollectingReporter reads like the timed thread's share.
class Partner {
  public:
    template <class Body>
    explicit Partner(Body body)
        : thread_([this, body = std::move(body)]() mutable {
              pin_current_thread(g_cpu_plan.partner_cpu);
              const auto wall_start = std::chrono::steady_clock::now();
              const double cpu_start = thread_cpu_seconds();
              flags_.ready.store(true, std::memory_order_release);
              body(flags_.stop);
              const double wall =
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start)
                      .count();
              busy_share_ = wall > 0 ? (thread_cpu_seconds() - cpu_start) / wall : 1.0;
          }) {
        while (!flags_.ready.load(std::memory_order_acquire))
            std::this_thread::yield();
    }
    ~Partner() { finish(); }
    Partner(const Partner&) = delete;
    Partner& operator=(const Partner&) = delete;

    // Stops and joins the partner; returns its CPU time over its wall time (1: never lost its
    // CPU). Reading busy_share_ after join() is ordered by the join.
    double finish() {
        if (thread_.joinable()) {
            flags_.stop.store(true, std::memory_order_release);
            thread_.join();
        }
        return busy_share_;
    }

  private:
    static double thread_cpu_seconds() noexcept {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    }
    // Own line pair: the partner polls stop while idle, and no benchmark data may share it.
    struct alignas(kFalseSharingRange) Flags {
        std::atomic<bool> ready{false};
        std::atomic<bool> stop{false};
    };
    Flags flags_;
    double busy_share_ = 1.0;
    std::thread thread_;
};

// --- the queues, behind one try_push / try_pop interface ---

struct KeelQueue {
    keel::engine::SpscRing<Event> ring{kRingCapacity};
    bool try_push(const Event& e) noexcept { return ring.try_push(e); }
    bool try_pop(Event& e) noexcept { return ring.try_pop(e); }
};

struct BoostQueue {
    boost::lockfree::spsc_queue<Event, boost::lockfree::capacity<kRingCapacity>> queue;
    bool try_push(const Event& e) noexcept { return queue.push(e); }
    bool try_pop(Event& e) noexcept { return queue.pop(e); }
};

// Preallocated for kRingCapacity items: try_enqueue fails instead of allocating when full.
struct MoodycamelQueue {
    moodycamel::ReaderWriterQueue<Event> queue{kRingCapacity};
    bool try_push(const Event& e) noexcept { return queue.try_enqueue(e); }
    bool try_pop(Event& e) noexcept { return queue.try_dequeue(e); }
};

// The baseline everyone starts from: a bounded std::deque under a std::mutex.
struct MutexQueue {
    std::mutex mutex;
    std::deque<Event> items;
    bool try_push(const Event& e) {
        const std::lock_guard<std::mutex> lock(mutex);
        if (items.size() >= kRingCapacity)
            return false;
        items.push_back(e);
        return true;
    }
    bool try_pop(Event& e) {
        const std::lock_guard<std::mutex> lock(mutex);
        if (items.empty())
            return false;
        e = items.front();
        items.pop_front();
        return true;
    }
};

// --- round trip: one Event out through `ping`, echoed back through `pong` ---

template <class Queue>
void bm_round_trip(benchmark::State& state) {
    // Heap-allocated: Boost's compile-time queue holds its 256 KiB of slots inline.
    auto ping = std::make_unique<Queue>();
    auto pong = std::make_unique<Queue>();
    Partner echo([&ping, &pong](const std::atomic<bool>& stop) {
        Event e = make_bench_event(0);
        for (;;) {
            if (ping->try_pop(e)) {
                while (!pong->try_push(e)) {
                    if (stop.load(std::memory_order_relaxed))
                        return;
                    cpu_relax();
                }
                continue;
            }
            if (stop.load(std::memory_order_relaxed))
                return;
            cpu_relax();
        }
    });

    Event out = make_bench_event(0);
    Event back = make_bench_event(0);
    std::uint64_t seq = 0;
    bool in_order = true;
    const auto round_trip = [&]() {
        out.header.seq = ++seq;
        while (!ping->try_push(out))
            cpu_relax();
        while (!pong->try_pop(back))
            cpu_relax();
        if (back.header.seq != seq)
            in_order = false;
    };
    for (int i = 0; i < kWarmupRoundTrips; ++i)
        round_trip();
    for (auto _ : state)
        round_trip();
    state.counters[keel::bench::kPartnerBusyShare] = echo.finish();
    if (!in_order)
        state.SkipWithError("round trip returned an event out of order");
}

// The hardware floor: the same ping-pong with nothing but one counter per direction, each on
// its own line pair. A queue's round trip cannot beat two cache-line transfers.
void bm_raw_atomic_floor(benchmark::State& state) {
    struct alignas(kFalseSharingRange) PaddedCounter {
        std::atomic<std::uint64_t> value{0};
    };
    auto ping = std::make_unique<PaddedCounter>();
    auto pong = std::make_unique<PaddedCounter>();
    Partner echo([&ping, &pong](const std::atomic<bool>& stop) {
        std::uint64_t seen = 0;
        for (;;) {
            const std::uint64_t v = ping->value.load(std::memory_order_acquire);
            if (v != seen) {
                seen = v;
                pong->value.store(v, std::memory_order_release);
                continue;
            }
            if (stop.load(std::memory_order_relaxed))
                return;
            cpu_relax();
        }
    });

    std::uint64_t n = 0;
    const auto round_trip = [&]() {
        ping->value.store(++n, std::memory_order_release);
        while (pong->value.load(std::memory_order_acquire) != n)
            cpu_relax();
    };
    for (int i = 0; i < kWarmupRoundTrips; ++i)
        round_trip();
    for (auto _ : state)
        round_trip();
    state.counters[keel::bench::kPartnerBusyShare] = echo.finish();
}

// --- throughput: the partner produces Events with seq 0, 1, 2...; the timed side consumes ---

// Consumes with try_pop (kBatch false) or, for keel's ring, consume_batch (kBatch true).
template <class Queue, bool kBatch>
void bm_throughput(benchmark::State& state) {
    auto queue = std::make_unique<Queue>();
    Partner producer([&queue](const std::atomic<bool>& stop) {
        Event e = make_bench_event(0);
        std::uint64_t seq = 0;
        for (;;) {
            e.header.seq = seq;
            if (queue->try_push(e)) {
                ++seq;
                continue;
            }
            // Full: the only time the producer waits, so the only time it looks at stop.
            if (stop.load(std::memory_order_relaxed))
                return;
            cpu_relax();
        }
    });

    std::uint64_t expected = 0;
    bool in_order = true;
    const auto check = [&](const Event& e) {
        if (e.header.seq != expected)
            in_order = false;
        ++expected;
    };
    Event e = make_bench_event(0);
    std::uint64_t empty_polls = 0;
    std::uint64_t pops = 0;
    for (auto _ : state) {
        std::size_t got = 0;
        while (got < kBlock) {
            std::size_t n = 0;
            if constexpr (kBatch) {
                n = queue->ring.consume_batch(check, kBlock - got);
            } else if (queue->try_pop(e)) {
                check(e);
                n = 1;
            }
            if (n == 0) {
                ++empty_polls;
                cpu_relax();
            } else {
                ++pops;
            }
            got += n;
        }
        if (!in_order) {
            state.SkipWithError("consumer saw an event out of order");
            break;
        }
    }
    state.counters[keel::bench::kPartnerBusyShare] = producer.finish();
    const std::int64_t items =
        static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(kBlock);
    state.SetItemsProcessed(items);
    // Why batching does or does not pay: a consumer that keeps finding the ring empty polls the
    // producer's index once per item or more, and its batches stay near one item.
    if (items > 0 && pops > 0) {
        state.counters["empty_polls_per_item"] =
            static_cast<double>(empty_polls) / static_cast<double>(items);
        state.counters["items_per_pop"] = static_cast<double>(items) / static_cast<double>(pops);
    }
}

// Benchmark names; the ratio table looks results up by them.
constexpr const char* kRtKeel = "round_trip/keel_spsc_ring";
constexpr const char* kRtBoost = "round_trip/boost_spsc_queue";
constexpr const char* kRtMoody = "round_trip/moodycamel_rwq";
constexpr const char* kRtMutex = "round_trip/mutex_deque";
constexpr const char* kRtFloor = "round_trip/raw_atomic_floor";
constexpr const char* kTpKeelBatch = "throughput/keel_spsc_ring_batch";
constexpr const char* kTpKeelSingle = "throughput/keel_spsc_ring_single";
constexpr const char* kTpBoost = "throughput/boost_spsc_queue";
constexpr const char* kTpMoody = "throughput/moodycamel_rwq";
constexpr const char* kTpMutex = "throughput/mutex_deque";

void register_benchmarks() {
    benchmark::RegisterBenchmark(kRtKeel, bm_round_trip<KeelQueue>)->UseRealTime();
    benchmark::RegisterBenchmark(kRtBoost, bm_round_trip<BoostQueue>)->UseRealTime();
    benchmark::RegisterBenchmark(kRtMoody, bm_round_trip<MoodycamelQueue>)->UseRealTime();
    benchmark::RegisterBenchmark(kRtMutex, bm_round_trip<MutexQueue>)->UseRealTime();
    benchmark::RegisterBenchmark(kRtFloor, bm_raw_atomic_floor)->UseRealTime();
    benchmark::RegisterBenchmark(kTpKeelBatch, bm_throughput<KeelQueue, true>)->UseRealTime();
    benchmark::RegisterBenchmark(kTpKeelSingle, bm_throughput<KeelQueue, false>)->UseRealTime();
    benchmark::RegisterBenchmark(kTpBoost, bm_throughput<BoostQueue, false>)->UseRealTime();
    benchmark::RegisterBenchmark(kTpMoody, bm_throughput<MoodycamelQueue, false>)->UseRealTime();
    benchmark::RegisterBenchmark(kTpMutex, bm_throughput<MutexQueue, false>)->UseRealTime();
}

void print_ratios(const CollectingReporter& r, std::FILE* out) {
    const RatioRow rows[] = {
        // keel's ring is Boost's queue: these two rows show what the engine's interface costs
        // on top of it (bench/README, "The ring is Boost's").
        {"round trip: keel / boost", time_ratio(r, kRtKeel, kRtBoost), Goal::none, 0, kNotGated},
        {"round trip: keel / raw floor", time_ratio(r, kRtKeel, kRtFloor), Goal::at_most, 2.5, 3.0},
        {"round trip: keel / moodycamel", time_ratio(r, kRtKeel, kRtMoody), Goal::none, 0,
         kNotGated},
        {"round trip: keel / mutex", time_ratio(r, kRtKeel, kRtMutex), Goal::none, 0, kNotGated},
        {"throughput: keel batch / boost", rate_ratio(r, kTpKeelBatch, kTpBoost), Goal::none, 0,
         kNotGated},
        {"throughput: keel single / boost", rate_ratio(r, kTpKeelSingle, kTpBoost), Goal::none, 0,
         kNotGated},
        {"throughput: keel batch / moodycamel", rate_ratio(r, kTpKeelBatch, kTpMoody), Goal::none,
         0, kNotGated},
        {"throughput: keel batch / mutex", rate_ratio(r, kTpKeelBatch, kTpMutex), Goal::none, 0,
         kNotGated},
    };
    // Both threads spin against each other: a third process on either CPU voids the ratios.
    print_ratio_table(r, {std::begin(rows), std::end(rows)}, out, {"mutex"},
                      keel::bench::Disturbance::voids_gate);
}

void plan_cpus() {
    const std::vector<int> cpus = keel::engine::available_cpus();
    if (cpus.size() < 2) {
        std::fprintf(stderr, "ring_bench: fewer than two CPUs available; threads are not pinned\n");
        benchmark::AddCustomContext("thread_plan", "unpinned (fewer than two CPUs)");
        return;
    }
    if (!pin_current_thread(cpus[0])) {
        std::fprintf(stderr, "ring_bench: could not pin to CPU %d; threads are not pinned\n",
                     cpus[0]);
        benchmark::AddCustomContext("thread_plan", "unpinned (pthread_setaffinity_np failed)");
        return;
    }
    g_cpu_plan.partner_cpu = cpus[1];
    benchmark::AddCustomContext("thread_plan", "timed thread on CPU " + std::to_string(cpus[0]) +
                                                   ", partner thread on CPU " +
                                                   std::to_string(cpus[1]));
}

}  // namespace

// Exit status: 0 ran (targets missed or not), 1 a benchmark failed (events out of order),
// 2 bad command line.
int main(int argc, char** argv) {
    const bool console = stdout_is_console(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    plan_cpus();
    register_benchmarks();

    // The default display reporter is created by the library for this purpose and never freed
    // by it when passed in; it lives until exit.
    CollectingReporter reporter(benchmark::CreateDefaultDisplayReporter());
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();

    // Nothing ran with --benchmark_list_tests or a filter that matched nothing: no table.
    if (!reporter.empty())
        print_ratios(reporter, console ? stdout : stderr);
    return reporter.errors() > 0 ? 1 : 0;
}
