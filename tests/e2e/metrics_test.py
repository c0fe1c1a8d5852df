#!/usr/bin/python3
"""A long multi-symbol backtest (10 years of daily bars, 30 symbols, generated here
deterministically) keeps every equity sample and round trip, and its figures agree everywhere:
  - the JSON report says nothing was dropped, lists every round trip (`trades`) and every
    equity sample (`equity`);
  - the human summary, the JSON report, the SQLite export (`sessions`, `equity`, `trades`) and
    the HTML report (`keel report --html`) give the same max drawdown, Sharpe, Sortino, CAGR,
    Calmar, profit factor, expectancy, average win and loss, best and worst trade, average
    holding time and max consecutive losses;
  - each of them equals a pandas computation over the exported equity and trades
    (replay/README.md, "Metrics", gives the formulas);
  - daily sampling (metrics.equity_sampling) of daily bars gives the same curve and figures.
Needs Debian's python3-pandas (scripts/deps.sh). Usage: metrics_test.py KEEL
"""
import json
import math
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
from datetime import date, timedelta

import numpy as np
import pandas as pd

KEEL = os.path.abspath(sys.argv[1])
T = tempfile.mkdtemp(prefix="keel_metrics_")
SYMBOLS = ["S%02d" % k for k in range(30)]
DAYS = 2610  # weekdays: 10 years
START_CASH = 1_000_000.0


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def keel(*args):
    r = subprocess.run([KEEL, *args], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        fail("keel %s exited %d: %s" % (" ".join(args), r.returncode, r.stderr))
    return r.stdout


def close(a, b, what, tol=1e-6):
    check(abs(a - b) <= tol * max(1.0, abs(b)), "%s: %r != %r" % (what, a, b))


def write_data():
    """A geometric random walk per symbol, seeded, two-decimal prices, weekdays only."""
    days = []
    d = date(2010, 1, 4)
    while len(days) < DAYS:
        if d.weekday() < 5:
            days.append(d.isoformat())
        d += timedelta(days=1)
    files = []
    for k, sym in enumerate(SYMBOLS):
        rng = random.Random(1000 + k)
        price = 50.0 + 5 * k
        path = os.path.join(T, sym + ".csv")
        with open(path, "w") as f:
            f.write("date,open,high,low,close,volume\n")
            for day in days:
                o = price
                price = max(1.0, price * math.exp(rng.gauss(0.0002, 0.02)))
                c = price
                f.write("%s,%.2f,%.2f,%.2f,%.2f,%d\n" % (day, o, max(o, c) * 1.01,
                                                         min(o, c) * 0.99, c, 100000))
        files.append({"path": path, "symbol": sym, "bar_interval": "1d"})
    return files


def write_config(files, sampling):
    config = {
        "session": {"name": "metrics-%s" % sampling, "symbol_capacity": 64},
        "data": {"files": files},
        "strategies": [{"type": "sma_cross", "symbol": s, "fast": 5, "slow": 20,
                        "quantity": "100"} for s in SYMBOLS],
        "account": {"starting_cash": "1000000"},
        "risk": {"max_order_qty": "1000", "max_order_notional": "1000000"},
        "venue": {"type": "sim", "mode": "bars",
                  "commission": {"model": "per_share", "per_share": "0.005"}},
        "metrics": {"equity_sampling": sampling},
    }
    path = os.path.join(T, "config-%s.json" % sampling)
    json.dump(config, open(path, "w"))
    return path


def run(sampling, files):
    cfg = write_config(files, sampling)
    journal = os.path.join(T, "j-" + sampling)
    report = os.path.join(T, "report-%s.json" % sampling)
    summary = keel("backtest", "--config", cfg, "--journal", journal, "--report", report)
    return journal, json.load(open(report)), summary


def pandas_curve_figures(rep):
    """Max drawdown, Sharpe, Sortino, CAGR and Calmar over the JSON report's equity samples."""
    eq = pd.DataFrame(rep["equity"])
    eq["equity"] = eq["equity"].astype(float)
    peak = np.maximum.accumulate(np.maximum(eq["equity"].to_numpy(), START_CASH))
    fall = peak - eq["equity"].to_numpy()
    out = {"max_drawdown": fall.max(), "max_drawdown_pct": (fall / peak * 100).max()}
    day = pd.to_datetime(eq["ts_ns"], unit="ns", utc=True).dt.floor("D")
    closes = eq.groupby(day)["equity"].last()
    r = closes / closes.shift(1, fill_value=START_CASH) - 1
    out["return_days"] = len(r)
    out["sharpe"] = r.mean() / r.std(ddof=1) * math.sqrt(252)
    out["sortino"] = r.mean() / math.sqrt((r.clip(upper=0) ** 2).mean()) * math.sqrt(252)
    years = (eq["ts_ns"].iloc[-1] - eq["ts_ns"].iloc[0]) / 1e9 / 86400 / 365.25
    out["cagr_pct"] = ((eq["equity"].iloc[-1] / START_CASH) ** (1 / years) - 1) * 100
    out["calmar"] = out["cagr_pct"] / out["max_drawdown_pct"]
    return out


def pandas_trade_figures(rep):
    t = pd.DataFrame(rep["trades"])
    pnl = t["pnl"].astype(float)
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    losing = (pnl < 0).astype(int)
    streaks = losing.groupby((losing != losing.shift()).cumsum()).cumsum()
    return {
        "profit_factor": wins.sum() / -losses.sum(),
        "expectancy": pnl.mean(),
        "average_win": wins.mean(),
        "average_loss": losses.mean(),
        "best_trade": pnl.max(),
        "worst_trade": pnl.min(),
        "average_holding_s": ((t["exit_ts_ns"] - t["entry_ts_ns"]) / 1e9).mean(),
        "max_consecutive_losses": int(streaks.max()),
        "losing_round_trips": int(len(losses)),
    }


MONEY = ["max_drawdown", "expectancy", "average_win", "average_loss", "best_trade",
         "worst_trade"]
RATIOS = ["max_drawdown_pct", "sharpe", "sortino", "cagr_pct", "calmar", "profit_factor",
          "average_holding_s"]
COUNTS = ["max_consecutive_losses", "losing_round_trips"]


def check_pandas(rep):
    want = pandas_curve_figures(rep)
    want.update(pandas_trade_figures(rep))
    for k in MONEY:
        # Money means are truncated to 9 decimals; pandas' are not.
        close(float(rep[k]), want[k], "pandas " + k, tol=1e-8)
    for k in RATIOS:
        close(rep[k], want[k], "pandas " + k)
    for k in COUNTS:
        check(rep[k] == want[k], "pandas %s: %r != %r" % (k, rep[k], want[k]))
    check(rep["sharpe_days"] == want["return_days"], "pandas return days")


def check_sqlite(journal, rep):
    db = os.path.join(T, "export.db")
    keel("journal", "export", journal, "--sqlite", db)
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    s = dict(con.execute("SELECT * FROM sessions").fetchone())
    for k in MONEY:
        check(s[k] == rep[k], "sqlite %s %r != json %r" % (k, s[k], rep[k]))
    for k in RATIOS:
        check(round(s[k], 6) == rep[k], "sqlite %s %r != json %r" % (k, s[k], rep[k]))
    check(s["sharpe"] == s["sharpe"] and round(s["sharpe"], 6) == rep["sharpe"], "sqlite sharpe")
    check(s["return_days"] == rep["sharpe_days"], "sqlite return_days")
    for k in COUNTS:
        check(s[k] == rep[k], "sqlite %s %r != json %r" % (k, s[k], rep[k]))
    check(s["round_trips"] == rep["round_trips"], "sqlite round trips")
    equity = [(r["ts_ns"], r["equity"]) for r in
              con.execute("SELECT ts_ns, equity FROM equity ORDER BY ts_ns")]
    check(equity == [(p["ts_ns"], p["equity"]) for p in rep["equity"]],
          "sqlite equity rows differ from the JSON report's samples")
    trades = [tuple(r) for r in con.execute(
        "SELECT symbol, entry_ts_ns, exit_ts_ns, pnl FROM trades ORDER BY trade_id")]
    check(trades == [(t["symbol"], t["entry_ts_ns"], t["exit_ts_ns"], t["pnl"])
                     for t in rep["trades"]], "sqlite trades differ from the JSON report's")


def check_html(journal, rep):
    page = os.path.join(T, "report.html")
    keel("report", journal, "--html", page)
    html = open(page).read()

    def cell(name):
        m = re.search(r'<tr id="sum-%s"><th>[^<]*</th><td class="num">([^<]*)</td>' % name, html)
        check(m is not None, "html has no sum-" + name)
        return m.group(1)

    check(cell("max-drawdown") == rep["max_drawdown"], "html max drawdown")
    check(cell("max-drawdown-pct") == "%.2f%%" % rep["max_drawdown_pct"], "html drawdown pct")
    for name, key in [("sharpe", "sharpe"), ("sortino", "sortino"), ("calmar", "calmar"),
                      ("profit-factor", "profit_factor"),
                      ("average-holding", "average_holding_s")]:
        check(cell(name) == "%.6f" % rep[key], "html %s %s != %r" % (name, cell(name), rep[key]))
    check(cell("cagr") == "%.6f%%" % rep["cagr_pct"], "html cagr")
    for name, key in [("expectancy", "expectancy"), ("average-win", "average_win"),
                      ("average-loss", "average_loss"), ("best-trade", "best_trade"),
                      ("worst-trade", "worst_trade")]:
        check(cell(name) == rep[key], "html %s %s != %s" % (name, cell(name), rep[key]))
    check(cell("max-consecutive-losses") == str(rep["max_consecutive_losses"]), "html streak")
    check(cell("return-days") == str(rep["sharpe_days"]), "html return days")


def check_summary(summary, rep):
    def num(pattern):
        m = re.search(pattern, summary)
        check(m is not None, "summary lacks %r:\n%s" % (pattern, summary))
        return m.group(1)

    check(num(r"max drawdown (\S+) ") == rep["max_drawdown"], "summary max drawdown")
    for pattern, key in [(r"sharpe (-?[\d.]+) over", "sharpe"), (r"sortino (-?[\d.]+);", "sortino"),
                         (r"CAGR (-?[\d.]+)%", "cagr_pct"), (r"calmar (-?[\d.]+);", "calmar"),
                         (r"profit factor (-?[\d.]+)", "profit_factor")]:
        close(float(num(pattern)), round(rep[key], 2), "summary " + key, tol=0.0051)
    for pattern, key in [(r"expectancy (\S+);", "expectancy"), (r"average win (\S+),", "average_win"),
                         (r"loss (\S+); best", "average_loss"), (r"best (\S+),", "best_trade"),
                         (r"worst (\S+);", "worst_trade")]:
        check(num(pattern) == rep[key], "summary %s %s != %s" % (key, num(pattern), rep[key]))
    check(int(num(r"max consecutive losses (\d+)")) == rep["max_consecutive_losses"],
          "summary max consecutive losses")


def main():
    files = write_data()
    journal, rep, summary = run("bar", files)
    check(rep["equity_points_dropped"] == 0 and rep["round_trips_dropped"] == 0,
          "the account dropped records: %r" % {k: rep[k] for k in
                                               ("equity_points_dropped", "round_trips_dropped")})
    check(len(rep["trades"]) == rep["round_trips"] > 1000, "trades: %d of %d" %
          (len(rep["trades"]), rep["round_trips"]))
    # One point per bar time (30 symbols' bars share it) and the end's.
    check(len(rep["equity"]) == DAYS, "equity samples: %d, want %d" % (len(rep["equity"]), DAYS))
    check(rep["equity"][-1]["equity"] == rep["final_equity"], "the last sample is the end's")
    check(rep["losing_round_trips"] > 0 and rep["max_drawdown_pct"] > 0, "a run with losses")
    check_pandas(rep)
    check_sqlite(journal, rep)
    check_html(journal, rep)
    check_summary(summary, rep)
    # Daily bars sampled daily: the same closes, stamped at the same midnights.
    _, daily, _ = run("daily", files)
    check(daily["equity"] == rep["equity"], "daily sampling of daily bars changed the curve")
    for k in MONEY + RATIOS + COUNTS:
        check(daily[k] == rep[k], "daily sampling changed " + k)
    print("ok: %d equity samples, %d round trips; max drawdown %s, sharpe %s" %
          (len(rep["equity"]), rep["round_trips"], rep["max_drawdown"], rep["sharpe"]))


main()
