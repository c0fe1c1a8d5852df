#include "keel/replay/session/stop_policy.hpp"

#include <algorithm>
#include <optional>
#include <thread>

namespace keel::replay {
namespace {

using Clock = std::chrono::steady_clock;
using adapters::InputPort;
using engine::StateSnapshot;

// Between two looks at the pipeline: often enough to stop soon after the last fill, rarely
// enough that the snapshots cost the pipeline nothing worth measuring.
constexpr auto kPollInterval = std::chrono::milliseconds(10);
// What the stopped adapters queued is sequenced within this after the deadline.
constexpr auto kDrainGrace = std::chrono::seconds(1);

engine::Event command(engine::CommandCode code, std::int64_t arg, std::uint8_t account) {
    // ts 0: at the current engine time (input_port.hpp).
    engine::Event e = engine::make_event(engine::EventType::command, engine::Source::engine, 0, 0,
                                         engine::kNoSymbol);
    e.payload.command.code = code;
    e.payload.command.arg = arg;
    e.payload.command.account = account;
    return e;
}

// Queues a command and waits until it is journaled and durable: its sequence number, or 0 when
// it was refused or the deadline passed first.
std::uint64_t submit(const StopPolicyDeps& d, const engine::Event& e, Clock::time_point deadline) {
    InputPort& port = d.port;
    std::optional<InputPort::Ticket> ticket;
    while (!(ticket = port.submit_tracked(e))) {
        if (Clock::now() >= deadline || d.pipeline_stopped())
            return 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // the queue is full
    }
    std::uint64_t seq = 0;
    for (;;) {
        const InputPort::Fate fate = port.fate(*ticket);
        if (fate == InputPort::Fate::durable)
            seq = port.seq(*ticket);
        if (fate != InputPort::Fate::pending || Clock::now() >= deadline || d.pipeline_stopped())
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    port.release(*ticket);
    return seq;
}

// Each account's part of a snapshot (the snapshot itself with one account).
std::vector<const StateSnapshot*> parts(const StateSnapshot& s) {
    std::vector<const StateSnapshot*> out;
    for (const StateSnapshot& a : s.accounts)
        out.push_back(&a);
    if (out.empty())
        out.push_back(&s);
    return out;
}

std::string account_name(const StopPolicyDeps& d, std::size_t k) {
    return k < d.accounts.size() ? d.accounts[k] : "#" + std::to_string(k);
}

// What is not done yet, per account: open orders, and with flatten positions not flat.
std::vector<std::string> unfinished(const StateSnapshot& s, const engine::ShutdownPolicy& p,
                                    const StopPolicyDeps& d) {
    std::vector<std::string> out;
    const std::vector<const StateSnapshot*> accounts = parts(s);
    for (std::size_t k = 0; k < accounts.size(); ++k) {
        const StateSnapshot& a = *accounts[k];
        const std::string who = "account " + account_name(d, k) + ": ";
        if (!a.open_orders.empty())
            out.push_back(who + std::to_string(a.open_orders.size()) + " order" +
                          (a.open_orders.size() == 1 ? "" : "s") + " still open");
        if (!p.flatten)
            continue;
        for (engine::SymbolId id = 0; id < a.positions.size() && id < d.symbols.size(); ++id) {
            const std::int64_t q = a.positions[id].quantity_raw;
            if (q != 0)
                out.push_back(who + std::string(d.symbols.name(id)) + " position " +
                              engine::Quantity::from_raw(q).to_string() + " not flat");
        }
    }
    return out;
}

// Snapshots until one taken after seq shows nothing unfinished, or the deadline: what is left.
std::vector<std::string> wait_done(const engine::ShutdownPolicy& p, const StopPolicyDeps& d,
                                   std::uint64_t seq, Clock::time_point deadline) {
    std::vector<std::string> left = {"no state from the pipeline after the kill command"};
    while (Clock::now() < deadline && !d.pipeline_stopped()) {
        const auto remaining =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        const std::optional<StateSnapshot> s = d.snapshots.take(
            std::clamp(remaining, std::chrono::milliseconds(1), std::chrono::milliseconds(500)));
        if (s && s->last_seq >= seq) {
            left = unfinished(*s, p, d);
            if (left.empty())
                break;
        }
        std::this_thread::sleep_for(kPollInterval);
    }
    return left;
}

// Per account, whether it was killed before the stop; nullopt when the pipeline did not say.
std::optional<std::vector<bool>> killed_before(const StopPolicyDeps& d,
                                               Clock::time_point deadline) {
    const auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    const std::optional<StateSnapshot> s = d.snapshots.take(
        std::clamp(wait, std::chrono::milliseconds(1), std::chrono::milliseconds(1000)));
    if (!s)
        return std::nullopt;
    std::vector<bool> out;
    for (const StateSnapshot* a : parts(*s))
        out.push_back((a->risk_flags & engine::kRiskKilled) != 0);
    return out;
}

// Lifts the policy's kill from every account it alone killed: one command for all when none was
// killed before, else one per account (account k is command account k + 1).
bool unkill(const StopPolicyDeps& d, const std::vector<bool>& before, Clock::time_point deadline) {
    if (std::none_of(before.begin(), before.end(), [](bool b) { return b; }))
        return submit(d, command(engine::CommandCode::unkill, 0, 0), deadline) != 0;
    bool ok = true;
    for (std::size_t k = 0; k < before.size() && before.size() > 1; ++k) {
        if (!before[k])
            ok =
                submit(d, command(engine::CommandCode::unkill, 0, static_cast<std::uint8_t>(k + 1)),
                       deadline) != 0 &&
                ok;
    }
    return ok;
}

}  // namespace

std::string describe(const engine::ShutdownPolicy& policy) {
    if (policy.cancel_open_orders && policy.flatten)
        return "cancel_open_orders, flatten";
    return policy.flatten ? "flatten" : policy.cancel_open_orders ? "cancel_open_orders" : "none";
}

StopOutcome run_stop_policy(const engine::ShutdownPolicy& policy, const StopPolicyDeps& deps) {
    StopOutcome out;
    if (!policy.any())
        return out;
    out.ran = true;
    const Clock::time_point start = Clock::now();
    const Clock::time_point deadline = start + std::chrono::milliseconds(policy.deadline_ms);
    const std::optional<std::vector<bool>> before = killed_before(deps, deadline);
    const std::uint64_t seq =
        submit(deps, command(engine::CommandCode::kill, policy.flatten ? 1 : 0, 0), deadline);
    if (seq == 0)
        out.unfinished = {"the kill command was not journaled before the deadline"};
    else
        out.unfinished = wait_done(policy, deps, seq, deadline);
    out.complete = out.unfinished.empty();
    deps.stop_inputs();
    const Clock::time_point grace = std::max(deadline, Clock::now()) + kDrainGrace;
    while (!deps.inputs_drained() && Clock::now() < grace && !deps.pipeline_stopped())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    // Only after the inputs that could trade have stopped and been sequenced, so nothing opens
    // a position between the unkill and the drain.
    if (out.complete && before && deps.inputs_drained())
        out.unkilled = unkill(deps, *before, grace);
    out.elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    return out;
}

}  // namespace keel::replay
