// The stop policy (config `shutdown`, engine/config/operations.hpp) of a live session, carried
// out on SIGINT/SIGTERM before the drain, on the live session's monitor thread:
//   1. a kill command (arg 1 with flatten) for every account, journaled as an input from
//      source engine, so replay and a restart see it where it happened: risk blocks new orders
//      and, with flatten, closes every position by market orders; the gateway cancels every
//      open order at the venue;
//   2. state snapshots until every account has no open order (and, with flatten, no position),
//      or the deadline passes;
//   3. the adapters that could open positions again (feed, webhook) stop, and what they queued
//      is sequenced;
//   4. when everything completed, an unkill for each account the session had not killed before
//      the stop (so a restart trades again); when not, the kill stays, so a restart comes up
//      killed for an operator to look at.
// What did not complete (orders still open, positions not flat, per account) is the outcome's
// `unfinished`, which the session prints on stderr and in the summary.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "keel/adapters/input/input_port.hpp"
#include "keel/engine/config/operations.hpp"
#include "keel/engine/core/symbol_table.hpp"
#include "keel/engine/pipeline/state_snapshot.hpp"

namespace keel::replay {

struct StopOutcome {
    bool ran = false;       // a policy was configured and the stop came while running
    bool complete = false;  // no open orders (and flat, with flatten) in every account
    bool unkilled = false;  // the kill was lifted at the end
    std::int64_t elapsed_ms = 0;
    std::vector<std::string> unfinished;  // "account fx: USDCHF position 1000 not flat", ...
};

struct StopPolicyDeps {
    adapters::InputPort& port;
    engine::SnapshotExchange& snapshots;
    const engine::SymbolTable& symbols;
    std::vector<std::string> accounts;     // by index (config order); one name with one account
    std::function<void()> stop_inputs;     // stops the adapters whose inputs may open positions
    std::function<bool()> inputs_drained;  // nothing the stopped adapters queued is waiting
    // The pipeline stopped on its own (the journal failed): nothing more will be answered.
    std::function<bool()> pipeline_stopped;
};

[[nodiscard]] StopOutcome run_stop_policy(const engine::ShutdownPolicy& policy,
                                          const StopPolicyDeps& deps);

// "cancel_open_orders", "flatten" or "cancel_open_orders, flatten": the policy as configured.
[[nodiscard]] std::string describe(const engine::ShutdownPolicy& policy);

}  // namespace keel::replay
