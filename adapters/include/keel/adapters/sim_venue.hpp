// SimVenue: a simulated exchange for paper sessions and backtests. It acknowledges each order
// at once and fills market orders at the next price of their symbol: the next trade's price,
// the next bar's open, or the next quote's ask (buys) / bid (sells). It rejects order types it
// does not simulate. Replies go to ingest through the ReplySink, stamped with the time of the
// event that caused them, so a session over recorded data is deterministic.
#pragma once

#include <cstdint>
#include <vector>

#include "keel/engine/stage.hpp"

namespace keel::adapters {

enum class VenueRejectReason : std::uint16_t { unsupported_order_type = 100, venue_full = 101 };

class SimVenue final : public engine::Venue {
  public:
    static constexpr std::size_t kDefaultCapacity = 4096;

    explicit SimVenue(engine::ReplySink& replies, std::size_t capacity = kDefaultCapacity)
        : replies_(replies) {
        pending_.reserve(capacity);
    }

    void submit(const engine::Event& order_sent) noexcept override;
    void on_market_data(const engine::Event& event) noexcept override;

    [[nodiscard]] std::size_t pending() const noexcept { return pending_.size(); }

  private:
    void reject(const engine::Event& order, VenueRejectReason reason) noexcept;

    engine::ReplySink& replies_;
    std::vector<engine::Event> pending_;  // capacity reserved up front; never grows
};

}  // namespace keel::adapters
