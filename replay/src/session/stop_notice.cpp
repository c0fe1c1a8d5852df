#include "keel/replay/session/stop_notice.hpp"

#include <vector>

namespace keel::replay {

adapters::notify::SessionStop session_stop_facts(
    std::string why, adapters::notify::NotifyLevel level,
    const std::optional<engine::StateSnapshot>& snapshot) {
    adapters::notify::SessionStop out;
    out.why = std::move(why);
    out.level = level;
    if (!snapshot)
        return out;
    out.known = true;
    out.ts_ns = snapshot->ts_ns;
    // Several accounts: the top-level fields are account 0's, so each account is summed.
    std::vector<const engine::StateSnapshot*> parts;
    for (const engine::StateSnapshot& a : snapshot->accounts)
        parts.push_back(&a);
    if (parts.empty())
        parts.push_back(&*snapshot);
    for (const engine::StateSnapshot* a : parts) {
        out.fills += a->fills;
        out.realized.raw += a->realized.raw;
        out.equity.raw += a->equity.raw;
        out.total_pnl.raw += a->equity.raw - a->starting_cash.raw;
        for (const engine::PositionState& p : a->positions)
            out.open_positions += p.quantity_raw != 0 ? 1 : 0;
    }
    return out;
}

}  // namespace keel::replay
