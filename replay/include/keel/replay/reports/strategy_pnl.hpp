// Per-strategy P&L in the backtest report: each configured strategy's figures from its own
// fills (StrategyPnlReport, assembly/session_report.hpp), shown when a session runs more than
// one strategy (one strategy's figures are the account's). Cold path.
#pragma once

#include <ostream>
#include <vector>

#include "keel/engine/config/config.hpp"
#include "keel/replay/assembly/session_report.hpp"

namespace keel::replay {

// The JSON report's `strategies` array: name, type, symbols, fills, position, realized_pnl
// (after fees), unrealized_pnl, fees, total_pnl; money as exact decimal strings.
[[nodiscard]] engine::Json strategy_pnl_json(const std::vector<StrategyPnlReport>& strategies);

// One summary line per strategy, when there are several.
void print_strategy_pnl(std::ostream& out, const std::vector<StrategyPnlReport>& strategies);

}  // namespace keel::replay
