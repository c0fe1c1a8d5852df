#include "keel/replay/assembly/run_metrics.hpp"

#include <algorithm>
#include <cmath>

namespace keel::replay {
namespace {

constexpr std::int64_t kNsPerDay = 86'400'000'000'000;
constexpr double kTradingDaysPerYear = 252;
constexpr double kDaysPerYear = 365.25;

double to_double(engine::Money m) {
    return static_cast<double>(m.raw) / static_cast<double>(engine::kScale);
}

// The UTC calendar day of an event time (floor division, so times before 1970 work too).
std::int64_t utc_day(std::int64_t ts_ns) {
    return ts_ns / kNsPerDay - (ts_ns % kNsPerDay < 0 ? 1 : 0);
}

// Daily returns: each day's close over the one before, the first over the starting cash.
// Empty when some close before the last is not positive (a return on nothing is undefined).
std::vector<double> daily_returns(const std::vector<engine::EquityPoint>& closes,
                                  engine::Money starting_cash) {
    std::vector<double> returns;
    double previous = to_double(starting_cash);
    for (const engine::EquityPoint& p : closes) {
        if (previous <= 0)
            return {};
        const double close = to_double(p.equity);
        returns.push_back(close / previous - 1);
        previous = close;
    }
    return returns;
}

double mean_of(const std::vector<double>& v) {
    double sum = 0;
    for (const double x : v)
        sum += x;
    return sum / static_cast<double>(v.size());
}

// Sharpe (sample standard deviation) and Sortino (downside deviation: the root mean square of
// the negative returns over every day, target 0), both annualised with sqrt(252); 0 when fewer
// than two returns or a zero deviation.
void return_ratios(const std::vector<double>& returns, RunMetrics& m) {
    m.return_days = returns.size();
    if (returns.size() < 2)
        return;
    const double mean = mean_of(returns);
    double var = 0;
    double down = 0;
    for (const double r : returns) {
        var += (r - mean) * (r - mean);
        down += r < 0 ? r * r : 0;
    }
    const double n = static_cast<double>(returns.size());
    const double sd = std::sqrt(var / (n - 1));
    const double dd = std::sqrt(down / n);
    const double annual = std::sqrt(kTradingDaysPerYear);
    m.sharpe = sd > 0 ? mean / sd * annual : 0;
    m.sortino = dd > 0 ? mean / dd * annual : 0;
}

void drawdown(const std::vector<engine::EquityPoint>& curve, engine::Money starting_cash,
              RunMetrics& m) {
    engine::Money peak = starting_cash;
    for (const engine::EquityPoint& p : curve) {
        peak = std::max(peak, p.equity);
        const engine::Money fall = peak - p.equity;
        m.max_drawdown = std::max(m.max_drawdown, fall);
        if (peak.raw > 0)
            m.max_drawdown_pct =
                std::max(m.max_drawdown_pct, to_double(fall) * 100.0 / to_double(peak));
    }
}

// Compound annual growth from the starting cash to the last sample, over the curve's span in
// years of 365.25 days; 0 when the span is empty or either end is not positive.
double cagr_pct(const std::vector<engine::EquityPoint>& curve, engine::Money starting_cash) {
    if (curve.size() < 2 || starting_cash.raw <= 0 || curve.back().equity.raw <= 0)
        return 0;
    const double years = static_cast<double>(curve.back().ts_ns - curve.front().ts_ns) /
                         static_cast<double>(kNsPerDay) / kDaysPerYear;
    if (!(years > 0))
        return 0;
    const double growth = to_double(curve.back().equity) / to_double(starting_cash);
    return (std::pow(growth, 1.0 / years) - 1) * 100.0;
}

engine::Money mean_money(engine::Money sum, std::uint64_t n) {
    return n == 0 ? engine::Money{}
                  : engine::Money::from_raw(sum.raw / static_cast<std::int64_t>(n));
}

void trade_figures(const std::vector<engine::RoundTrip>& trips, RunMetrics& m) {
    engine::Money total{};
    double holding_s = 0;
    std::uint64_t streak = 0;
    for (const engine::RoundTrip& t : trips) {
        if (m.trades == 0) {
            m.best_trade = t.pnl;
            m.worst_trade = t.pnl;
        }
        ++m.trades;
        total += t.pnl;
        m.best_trade = std::max(m.best_trade, t.pnl);
        m.worst_trade = std::min(m.worst_trade, t.pnl);
        holding_s += static_cast<double>(t.holding_ns()) / 1e9;
        if (t.pnl.raw > 0) {
            ++m.wins;
            m.gross_profit += t.pnl;
        } else if (t.pnl.raw < 0) {
            ++m.losses;
            m.gross_loss += t.pnl;
        }
        streak = t.pnl.raw < 0 ? streak + 1 : 0;
        m.max_consecutive_losses = std::max(m.max_consecutive_losses, streak);
    }
    if (m.trades == 0)
        return;
    m.expectancy = mean_money(total, m.trades);
    m.average_win = mean_money(m.gross_profit, m.wins);
    m.average_loss = mean_money(m.gross_loss, m.losses);
    m.average_holding_s = holding_s / static_cast<double>(m.trades);
    if (m.gross_loss.raw < 0)
        m.profit_factor = to_double(m.gross_profit) / -to_double(m.gross_loss);
}

}  // namespace

std::vector<engine::EquityPoint> daily_closes(const std::vector<engine::EquityPoint>& curve) {
    std::vector<engine::EquityPoint> closes;
    std::int64_t day = 0;
    for (const engine::EquityPoint& p : curve) {
        const std::int64_t d = utc_day(p.ts_ns);
        if (closes.empty() || d != day)
            closes.push_back(p);
        else
            closes.back() = p;
        day = d;
    }
    return closes;
}

RunMetrics compute_run_metrics(const std::vector<engine::EquityPoint>& curve,
                               const std::vector<engine::RoundTrip>& trips,
                               engine::Money starting_cash) {
    RunMetrics m;
    drawdown(curve, starting_cash, m);
    return_ratios(daily_returns(daily_closes(curve), starting_cash), m);
    m.cagr_pct = cagr_pct(curve, starting_cash);
    if (m.max_drawdown_pct > 0)
        m.calmar = m.cagr_pct / m.max_drawdown_pct;
    trade_figures(trips, m);
    return m;
}

}  // namespace keel::replay
