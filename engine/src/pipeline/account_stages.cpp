#include "keel/engine/pipeline/account_stages.hpp"

#include <algorithm>
#include <cstring>

#include "keel/assert.hpp"
#include "keel/engine/orders/order_id.hpp"

namespace keel::engine {

namespace {

// What one account's stage emits: held to kStageEmitBudget, and, while it handles an event
// another account's stage forwards, without its own forward (the input, byte for byte).
class AccountEmit final : public Emit {
  public:
    AccountEmit(Emit& out, const Event& input, bool drop_forward) noexcept
        : out_(out), input_(input), drop_forward_(drop_forward) {}
    void emit(const Event& event) noexcept override {
        KEEL_ASSERT(++emitted_ <= kStageEmitBudget,
                    "an account's stage emitted more than kStageEmitBudget events");
        if (drop_forward_ && std::memcmp(&event, &input_, sizeof(Event)) == 0)
            return;
        out_.emit(event);
    }

  private:
    Emit& out_;
    const Event& input_;
    const bool drop_forward_;
    std::size_t emitted_ = 0;
};

}  // namespace

std::size_t event_account(const Event& event) noexcept {
    if (const std::optional<std::uint64_t> order = event_order_id(event))
        return order_id_account(*order);
    if (event.header.type == EventType::command)
        return event.payload.command.account == 0
                   ? kAllAccounts
                   : static_cast<std::size_t>(event.payload.command.account) - 1;
    return kAllAccounts;
}

AccountStages::AccountStages(std::vector<Stage*> accounts) : accounts_(std::move(accounts)) {
    KEEL_ASSERT(accounts_.size() >= 2 && accounts_.size() <= kMaxAccounts,
                "AccountStages runs two to kMaxAccounts accounts");
    for (const Stage* s : accounts_)
        KEEL_ASSERT(s != nullptr && s->name() == accounts_.front()->name(),
                    "an account's stages must all be the same stage");
}

void AccountStages::on_start() {
    for (Stage* s : accounts_)
        s->on_start();
}

void AccountStages::on_event(const Event& event, Emit& out) noexcept {
    const std::size_t account = event_account(event);
    if (account != kAllAccounts) {
        if (account < accounts_.size()) {
            AccountEmit own(out, event, false);
            accounts_[account]->on_event(event, own);
        } else if (event.header.type == EventType::command) {
            out.emit(event);  // for an account the session does not have: acts on none
        } else {
            // Config validation keeps every order on a configured account; an id naming
            // another (a damaged journal) goes to account 0, which refuses what it does not
            // know.
            AccountEmit own(out, event, false);
            accounts_.front()->on_event(event, own);
        }
        return;
    }
    if (is_control(event.header.type)) {
        // The runner's: forwarded last (Runner checks it), after what any account derives.
        for (std::size_t k = 1; k < accounts_.size(); ++k) {
            AccountEmit other(out, event, true);
            accounts_[k]->on_event(event, other);
        }
        AccountEmit first(out, event, false);
        accounts_.front()->on_event(event, first);
        return;
    }
    AccountEmit first(out, event, false);
    accounts_.front()->on_event(event, first);
    for (std::size_t k = 1; k < accounts_.size(); ++k) {
        AccountEmit other(out, event, true);
        accounts_[k]->on_event(event, other);
    }
}

void AccountStages::on_close() noexcept {
    for (Stage* s : accounts_)
        s->on_close();
}

void AccountStages::write_snapshot(StateSnapshot& snapshot) const noexcept {
    accounts_.front()->write_snapshot(snapshot);
    const std::size_t n = std::min(accounts_.size(), snapshot.accounts.size());
    for (std::size_t k = 0; k < n; ++k)
        accounts_[k]->write_snapshot(snapshot.accounts[k]);
}

}  // namespace keel::engine
