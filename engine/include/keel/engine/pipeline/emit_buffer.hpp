// EmitBuffer: the bounded Emit a runner hands each stage. A stage emits at most
// kStageEmitBudget events per input; a stage that runs one inner stage per account
// (account_stages.hpp) at most that many per account, which kCapacity holds; exceeding it is a
// programmer error (every queue has a bound).
#pragma once

#include <array>
#include <cstddef>

#include "keel/assert.hpp"
#include "keel/engine/pipeline/stage.hpp"

namespace keel::engine {

class EmitBuffer final : public Emit {
  public:
    static constexpr std::size_t kCapacity = kStageEmitBudget * kMaxAccounts;

    void emit(const Event& event) noexcept override {
        KEEL_ASSERT(size_ < limit_, "a stage emitted more than its emit budget (Stage::emit_budget)");
        events_[size_++] = event;
    }
    // The stage's emit_budget (at most kCapacity); kStageEmitBudget until set.
    void set_limit(std::size_t limit) noexcept {
        KEEL_ASSERT(limit <= kCapacity, "an emit budget past EmitBuffer::kCapacity");
        limit_ = limit;
    }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] const Event& operator[](std::size_t i) const noexcept { return events_[i]; }
    void clear() noexcept { size_ = 0; }

  private:
    std::array<Event, kCapacity> events_;
    std::size_t size_ = 0;
    std::size_t limit_ = kStageEmitBudget;
};

}  // namespace keel::engine
