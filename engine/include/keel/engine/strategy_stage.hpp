// StrategyStage: hosts the configured strategies, one per symbol, and turns their intents into
// order_request events with deterministic client order ids.
#pragma once

#include <cstdint>
#include <vector>

#include "keel/engine/event_log.hpp"
#include "keel/engine/sma_cross.hpp"
#include "keel/engine/stage.hpp"

namespace keel::engine {

class StrategyStage final : public Stage {
  public:
    StrategyStage(std::vector<SmaCrossParams> strategies, std::size_t symbol_capacity);

    [[nodiscard]] std::string_view name() const noexcept override { return "strategy"; }
    void on_event(const Event& event, Emit& out) noexcept override;
    // Journal each order request here before emitting it (optional).
    void set_log(EventLog* log) noexcept { log_ = log; }

    [[nodiscard]] const std::vector<SmaCross>& strategies() const noexcept { return strategies_; }
    [[nodiscard]] std::uint64_t orders_requested() const noexcept { return next_order_id_ - 1; }

  private:
    SmaCross* strategy_for(SymbolId symbol) noexcept;
    // Emits (and journals) a crossover signal; false if it could not be journaled.
    bool signal(std::uint16_t index, const Event& cause, int direction, Emit& out) noexcept;
    void place(SmaCross& s, std::uint16_t index, const Event& cause, OrderIntent intent,
               Emit& out) noexcept;

    std::vector<SmaCross> strategies_;
    std::vector<std::int32_t> by_symbol_;  // symbol id -> index into strategies_, -1 if none
    std::uint64_t next_order_id_ = 1;
    EventLog* log_ = nullptr;
};

}  // namespace keel::engine
