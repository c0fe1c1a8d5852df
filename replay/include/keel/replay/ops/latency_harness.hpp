// The end-to-end latency harness behind `keel bench e2e`: an open-loop generator feeds the real
// session (run_session: real stages, journal, simulated venue, the config's thread plan), and
// each event's latency is measured from its intended send time to the moment its order is
// handed to the venue, plus per stage hop.
//
// Open loop: event i is due at t0 + i/R whatever the pipeline is doing. The generator releases
// it once the steady clock reaches that time, and at once when the pipeline is behind, so time
// spent queueing counts against the event (no coordinated omission). Saturation mode releases
// every event as soon as ingest asks: it measures the most events/s the pipeline sustains, and
// its latencies are closed-loop (from release, not from a schedule).
//
// Inputs: event i is an alert for the config's alert_follower symbol, alternately buy and
// close of one lot, so each causes exactly one market order; a quote follows each alert, so the
// simulated venue (tick mode) fills that order and the ack and fill return as inputs, as they
// would live. The alert's idempotency key is i + 1: that is how each stage knows the event.
//
// Bookkeeping: the generator and three timing decorators (around strategy, risk and gateway,
// plus one around the venue) read the steady clock and write one slot per event in arrays
// allocated before the run; each mark is written by one thread only, before the event it marks
// is passed on, so the ring's release/acquire hand-over publishes it, and the summary reads
// them after the threads have joined. Reading the clock on the pipeline threads is the point
// of this harness; it costs a few tens of ns per mark and is included in the figures.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "keel/engine/config/config.hpp"
#include "keel/engine/pipeline/stage.hpp"
#include "keel/replay/ops/host_probe.hpp"

namespace keel::replay {

// Where an event was seen, in pipeline order.
enum class Mark : std::uint8_t { intended, ingest, strategy, risk, gateway, venue };
inline constexpr std::size_t kMarks = 6;
// The hops between consecutive marks; JSON key names.
inline constexpr std::size_t kHops = kMarks - 1;
inline constexpr const char* kHopNames[kHops] = {"intended_to_ingest", "ingest_to_strategy",
                                                 "strategy_to_risk", "risk_to_gateway",
                                                 "gateway_to_venue"};
// Bounds the arrays (6 x 8 bytes per event: 480 MB at the limit).
inline constexpr std::uint64_t kMaxBenchEvents = 10'000'000;

struct Percentiles {
    std::uint64_t count = 0;
    std::uint64_t p50 = 0, p90 = 0, p99 = 0, p999 = 0, p9999 = 0, max = 0;
};

struct LatencySummary {
    Percentiles end_to_end;  // intended -> venue
    std::array<Percentiles, kHops> hops{};
    std::uint64_t complete = 0;  // events whose order reached the venue
    std::uint64_t first_intended_ns = 0;
    std::uint64_t last_venue_ns = 0;
    // Events whose order reached the venue per second, from the first intended send time to
    // the last order leaving.
    [[nodiscard]] double achieved_eps() const noexcept;
};

// One steady-clock time per (mark, event); 0 = not seen.
class LatencyBook {
  public:
    explicit LatencyBook(std::uint64_t events);
    [[nodiscard]] std::uint64_t events() const noexcept { return events_; }
    // Out-of-range indices are ignored (an alert this harness did not make).
    void stamp(Mark mark, std::uint64_t index, std::uint64_t ns) noexcept {
        if (index < events_)
            marks_[static_cast<std::size_t>(mark) * events_ + index] = ns;
    }
    [[nodiscard]] std::uint64_t at(Mark mark, std::uint64_t index) const noexcept {
        return marks_[static_cast<std::size_t>(mark) * events_ + index];
    }
    // After the pipeline's threads have joined. A hop counts an event when both its marks
    // were seen; end to end when intended and venue were.
    [[nodiscard]] LatencySummary summarize() const;

  private:
    std::uint64_t events_;
    std::vector<std::uint64_t> marks_;  // kMarks rows of events_
};

using SteadyClock = std::uint64_t (*)() noexcept;
[[nodiscard]] std::uint64_t steady_now_ns() noexcept;

struct GeneratorOptions {
    std::uint64_t events = 0;
    std::uint64_t rate_eps = 0;  // 0: saturate (no pacing)
    engine::SymbolId symbol = 0;
    std::string symbol_name;
    std::int64_t epoch_ns = 0;  // engine time of the first event
    SteadyClock clock = steady_now_ns;
};

// The generator, as ingest's input source (runs on the ingest thread). Sends the symbol's
// definition and one quote (a reference price for risk and the venue) first, then the events.
class OpenLoopSource final : public engine::InputSource {
  public:
    // The generated prices and size.
    static constexpr std::int64_t kQuantityUnits = 1;
    OpenLoopSource(LatencyBook& book, GeneratorOptions options);
    Poll poll(engine::Event& out) noexcept override;
    // Intended send time of event i (open loop; t0 is taken when event 0 is first asked for).
    [[nodiscard]] std::uint64_t intended_ns(std::uint64_t i) const noexcept;

  private:
    enum class Phase : std::uint8_t { symbol_def, first_quote, alert, quote, done };
    [[nodiscard]] engine::Event quote(std::int64_t ts_ns) const noexcept;

    LatencyBook& book_;
    GeneratorOptions options_;
    Phase phase_ = Phase::symbol_def;
    std::uint64_t next_ = 0;
    std::uint64_t t0_ = 0;
    std::int64_t ts_ns_ = 0;  // engine time of the last alert
};

// The last alert a stage saw: its sequence and event index. The gateway's is how the venue
// decorator (called inside the gateway's on_event, on its thread) knows its orders' events.
struct AlertCursor {
    std::uint64_t seq = 0;
    std::uint64_t index = 0;
};

// Follows alerts through one stage by sequence: strategy marks an alert's arrival, risk and
// gateway the arrival of the first order request that alert caused (derived events carry their
// cause's sequence). Forwards every call to the real stage.
class TimedStage final : public engine::Stage {
  public:
    TimedStage(engine::Stage& inner, LatencyBook& book, Mark mark, AlertCursor& cursor,
               SteadyClock clock = steady_now_ns)
        : inner_(inner), book_(book), mark_(mark), cursor_(cursor), clock_(clock) {}
    [[nodiscard]] std::string_view name() const noexcept override { return inner_.name(); }
    void on_start() override { inner_.on_start(); }
    void on_event(const engine::Event& event, engine::Emit& out) noexcept override;
    void on_close() noexcept override { inner_.on_close(); }
    [[nodiscard]] std::size_t emit_budget() const noexcept override {
        return inner_.emit_budget();
    }

  private:
    engine::Stage& inner_;
    LatencyBook& book_;
    Mark mark_;
    AlertCursor& cursor_;
    SteadyClock clock_;
    bool awaiting_ = false;
};

// Marks the first new order an alert caused as it is handed to the venue, then forwards it.
class TimedVenue final : public engine::Venue {
  public:
    TimedVenue(engine::Venue& inner, LatencyBook& book, const AlertCursor& gateway,
               SteadyClock clock = steady_now_ns)
        : inner_(inner), book_(book), gateway_(gateway), clock_(clock) {}
    void submit(const engine::Event& order_sent) noexcept override;
    void on_market_data(const engine::Event& event) noexcept override {
        inner_.on_market_data(event);
    }
    [[nodiscard]] std::optional<std::vector<engine::VenueOpenOrder>> query_open_orders()
        const override {
        return inner_.query_open_orders();
    }
    [[nodiscard]] bool sends_on_own_thread() const noexcept override {
        return inner_.sends_on_own_thread();
    }

  private:
    engine::Venue& inner_;
    LatencyBook& book_;
    const AlertCursor& gateway_;
    SteadyClock clock_;
    std::uint64_t last_seq_ = 0;
};

struct E2eOptions {
    std::uint64_t events = 1'000'000;
    std::uint64_t rate_eps = 100'000;
    bool saturate = false;
    // Empty: a fresh directory under the system's temp directory, removed afterwards. Given:
    // must be new or empty, and is kept.
    std::filesystem::path journal_dir;
};

struct E2eResult {
    bool saturate = false;
    std::uint64_t events = 0;
    std::uint64_t rate_eps = 0;  // 0 when saturated
    std::string symbol;
    LatencySummary latency;
    std::uint64_t inputs_sequenced = 0;  // events, quotes, venue replies and the preamble
    std::uint64_t ring_full_waits = 0;   // stage rings and the reply ring
    std::vector<std::string> thread_plan;
    std::vector<int> cpus_used;  // pinned CPUs; empty when no thread is pinned
    std::string durability;
    std::string journal_dir;
    bool journal_kept = false;
    std::string journal_error;
    double elapsed_s = 0;
    HostFacts host;
};

// Runs the benchmark over the config (its first alert_follower strategy's first symbol, its
// thread plan, journal settings, risk limits and venue; its data files are not read). nullopt
// with error set when it cannot run.
[[nodiscard]] std::optional<E2eResult> run_e2e_bench(const engine::Config& config,
                                                     const E2eOptions& options,
                                                     std::atomic<bool>& stop, std::string& error);

// The result as one JSON object (the shape bench/README.md documents).
[[nodiscard]] std::string e2e_json(const E2eResult& result);
// The human table.
void print_e2e(std::ostream& out, const E2eResult& result);

}  // namespace keel::replay
