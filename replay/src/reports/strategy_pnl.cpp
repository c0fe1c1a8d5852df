#include "keel/replay/reports/strategy_pnl.hpp"

#include <string>

namespace keel::replay {

namespace {

std::string money(engine::Money m) {
    return engine::decimal_string(m.raw);
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names)
        out += (out.empty() ? "" : ",") + n;
    return out;
}

}  // namespace

engine::Json strategy_pnl_json(const std::vector<StrategyPnlReport>& strategies) {
    engine::Json list = engine::Json::array();
    for (const StrategyPnlReport& s : strategies) {
        engine::Json o = engine::Json::object();
        o["name"] = s.name;
        o["type"] = s.type;
        o["symbols"] = s.symbols;
        o["fills"] = s.fills;
        o["position"] = engine::decimal_string(s.position_raw);
        o["realized_pnl"] = money(s.realized);
        o["unrealized_pnl"] = money(s.unrealized);
        o["fees"] = money(s.fees);
        o["total_pnl"] = money(s.total);
        list.push_back(std::move(o));
    }
    return list;
}

void print_strategy_pnl(std::ostream& out, const std::vector<StrategyPnlReport>& strategies) {
    if (strategies.size() < 2)
        return;
    for (const StrategyPnlReport& s : strategies) {
        out << "  strategy  " << s.name << " " << s.type << " " << joined(s.symbols) << ": total "
            << money(s.total) << " (realized " << money(s.realized) << " after fees "
            << money(s.fees) << ", unrealized " << money(s.unrealized) << "), position "
            << engine::decimal_string(s.position_raw) << ", fills " << s.fills << "\n";
    }
}

}  // namespace keel::replay
