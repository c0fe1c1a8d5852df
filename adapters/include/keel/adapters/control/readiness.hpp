// Readiness: the checks behind GET /health/ready. The integrator reports each condition from
// wherever it is known (recovery, the market-data feed, the venue adapter); the control API
// reads them on its I/O thread. ReadinessBoard is a ready-made thread-safe source.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace keel::adapters::control {

struct Readiness {
    bool journal_recovered = false;   // the journal was opened and any restart recovery finished
    bool feed_connected = false;      // the market-data feed's connection is up
    std::uint32_t stale_symbols = 0;  // symbols whose market data is older than allowed
    bool venue_connected = false;

    // The names of the failing checks ("journal_recovered", "feed_fresh", "venue_connected"),
    // empty when ready. feed_fresh fails when the feed is down or any symbol is stale.
    [[nodiscard]] std::vector<std::string> failing() const;
};

// Called from the control API's I/O thread: implementations must be thread-safe.
class ReadinessSource {
  public:
    virtual ~ReadinessSource() = default;
    [[nodiscard]] virtual Readiness readiness() const = 0;
};

// Each condition as an atomic that its owner sets from its own thread.
class ReadinessBoard final : public ReadinessSource {
  public:
    void set_journal_recovered(bool v) noexcept { journal_.store(v, std::memory_order_release); }
    void set_feed_connected(bool v) noexcept { feed_.store(v, std::memory_order_release); }
    void set_stale_symbols(std::uint32_t n) noexcept { stale_.store(n, std::memory_order_release); }
    void set_venue_connected(bool v) noexcept { venue_.store(v, std::memory_order_release); }

    [[nodiscard]] Readiness readiness() const override {
        Readiness r;
        r.journal_recovered = journal_.load(std::memory_order_acquire);
        r.feed_connected = feed_.load(std::memory_order_acquire);
        r.stale_symbols = stale_.load(std::memory_order_acquire);
        r.venue_connected = venue_.load(std::memory_order_acquire);
        return r;
    }

  private:
    std::atomic<bool> journal_{false};
    std::atomic<bool> feed_{false};
    std::atomic<std::uint32_t> stale_{0};
    std::atomic<bool> venue_{false};
};

}  // namespace keel::adapters::control
