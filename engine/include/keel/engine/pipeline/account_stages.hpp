// AccountStages: one pipeline stage made of one inner stage per account (config `accounts`),
// for the stages whose state is an account's: risk (its limits' use, modes, positions) and the
// gateway (its venue, order book and account of record). A session with one account runs the
// plain stage instead, so its journals are what they always were.
//
// Routing, by what an event names:
// - an order event, venue reply or fill goes to the account its order id names (order_id.hpp:
//   bits 55-62), and only there;
// - a command goes to the account it names (CommandPayload::account, 1-based), or to every
//   account when it names none (0); one naming an account the session does not have (a
//   damaged journal) is forwarded and acts on none;
// - everything else (market data, timers, symbol definitions, session records, signals, other
//   stages' records, control events) goes to every account in order.
// Every event is forwarded exactly once: an event that goes to several accounts is forwarded
// by the first; the others' forwards are dropped (they are byte-for-byte the input). What the
// inner stages derive is emitted in account order, after the forward; a control event (flush,
// shutdown, snapshot) is forwarded last, as the runner requires. The emit budget is
// kStageEmitBudget per account (EmitBuffer::kCapacity).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "keel/engine/pipeline/stage.hpp"

namespace keel::engine {

// The account an event is for: an index, or kAllAccounts when it is for every account.
inline constexpr std::size_t kAllAccounts = static_cast<std::size_t>(-1);
[[nodiscard]] std::size_t event_account(const Event& event) noexcept;

class AccountStages final : public Stage {
  public:
    // `accounts` (at least two, at most kMaxAccounts) must outlive this stage; all have the
    // same name.
    explicit AccountStages(std::vector<Stage*> accounts);

    [[nodiscard]] std::string_view name() const noexcept override {
        return accounts_.front()->name();
    }
    void on_start() override;
    void on_event(const Event& event, Emit& out) noexcept override;
    void on_close() noexcept override;
    // Each account's part into snapshot.accounts[k] (when the snapshot has room for it), and
    // account 0's into the snapshot itself (what a one-account client reads).
    void write_snapshot(StateSnapshot& snapshot) const noexcept override;
    // kStageEmitBudget per account; each account's stage is held to kStageEmitBudget.
    [[nodiscard]] std::size_t emit_budget() const noexcept override {
        return kStageEmitBudget * accounts_.size();
    }

    [[nodiscard]] std::span<Stage* const> accounts() const noexcept { return accounts_; }

  private:
    std::vector<Stage*> accounts_;
};

}  // namespace keel::engine
