// RiskStage: pre-trade checks on every order request. It fails closed: an order either passes
// every check and is forwarded, or is replaced by a risk_reject carrying the reason code.
#pragma once

#include <cstdint>

#include "keel/engine/event_log.hpp"
#include "keel/engine/stage.hpp"

namespace keel::engine {

struct RiskLimits {
    Quantity max_order_qty{};
};

class RiskStage final : public Stage {
  public:
    explicit RiskStage(const RiskLimits& limits) noexcept : limits_(limits) {}

    [[nodiscard]] std::string_view name() const noexcept override { return "risk"; }
    void on_event(const Event& event, Emit& out) noexcept override;
    // Journal each decision (approval or reject) here before emitting it (optional).
    void set_log(EventLog* log) noexcept { log_ = log; }

    [[nodiscard]] std::uint64_t rejects() const noexcept { return rejects_; }
    [[nodiscard]] std::uint64_t approvals() const noexcept { return approvals_; }

  private:
    [[nodiscard]] RiskReason check(const OrderPayload& order) const noexcept;

    RiskLimits limits_;
    std::uint64_t rejects_ = 0;
    std::uint64_t approvals_ = 0;
    EventLog* log_ = nullptr;
};

}  // namespace keel::engine
