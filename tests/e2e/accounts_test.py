#!/usr/bin/env python3
"""Two accounts on two simulated venues (config/accounts.json: USDCHF on "fx", MSFT on
"stocks"), with a commands file that kills "stocks" (with flatten) on 2001-02-01. Against the
real binary and its journal:
  - every order and fill is routed by its account: USDCHF's ids carry account 0, MSFT's 1
    (order id bits 55-62);
  - positions and P&L are separate: the JSON report's accounts each hold their own symbol's
    fills and starting cash, and the session's figures are their sums;
  - the kill stops "stocks" only: after it, MSFT gets risk's flatten order and strategy orders
    are refused kill_switch, while "fx" keeps sending USDCHF orders;
  - replay --verify passes, and a second run writes byte-identical journal segments;
  - a command naming an account keel does not have, a config with both accounts and a venue
    section, and `keel bench e2e` (which times one venue) on two accounts are refused with what
    and where.
Usage: accounts_test.py KEEL SRC
"""
import filecmp
import json
import os
import subprocess
import sys
import tempfile

KEEL = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
T = tempfile.mkdtemp(prefix="keel_accounts_")
KILL_TS = "2001-02-01T15:00:00Z"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def keel(*args):
    return subprocess.run([KEEL, *args], capture_output=True, text=True, timeout=300)


def write_config(name, commands, mutate=None):
    c = json.load(open(os.path.join(SRC, "config", "accounts.json")))
    for f in c["data"]["files"]:
        f["path"] = os.path.join(SRC, "data", os.path.basename(f["path"]))
    cmd_path = os.path.join(T, name + ".csv")
    with open(cmd_path, "w") as f:
        f.write(commands)
    c["data"]["files"].append({"path": cmd_path})
    if mutate:
        mutate(c)
    path = os.path.join(T, name + ".json")
    json.dump(c, open(path, "w"))
    return path


def account_of(order_id):
    return (order_id >> 55) & 0xFF


def main():
    config = write_config("kill", "time,command,arg,account\n%s,kill,1,stocks\n" % KILL_TS)
    journal = os.path.join(T, "j1")
    run = keel("backtest", "-c", config, "--journal", journal, "--json")
    if run.returncode != 0:
        fail("backtest exited %d: %s" % (run.returncode, run.stderr))
    report = json.loads(run.stdout)
    accounts = {a["name"]: a for a in report.get("accounts", [])}
    if sorted(accounts) != ["fx", "stocks"]:
        fail("the report lists accounts %s" % sorted(accounts))
    dump = keel("journal", "dump", journal)
    if dump.returncode != 0:
        fail("journal dump: " + dump.stderr)
    records = [json.loads(line) for line in dump.stdout.splitlines()]
    symbol_of = {r["id"]: r["symbol"] for r in records if r["type"] == "symbol_def"}
    want = {"USDCHF": 0, "MSFT": 1}
    kill_ns = next(r["ts_ns"] for r in records if r["type"] == "command")
    counts = {"fx_after": 0, "msft_flatten": 0, "msft_refused": 0, "fills": {0: 0, 1: 0}}
    for r in records:
        if r["type"] in ("order_sent", "venue_fill", "order_state", "risk_reject"):
            if r["order_id"] == 0 or account_of(r["order_id"]) != 0 and r.get("symbol") is None:
                continue
            sym = r.get("symbol")
            if sym in want and account_of(r["order_id"]) != want[sym]:
                fail("%s %s carries account %d: %s" % (r["type"], sym, account_of(r["order_id"]), r))
        if r["type"] == "venue_fill":
            counts["fills"][account_of(r["order_id"])] += 1
        if r["type"] == "order_sent" and r["ts_ns"] > kill_ns and r.get("symbol") == "USDCHF":
            counts["fx_after"] += 1
        if r["type"] == "order_sent" and r["ts_ns"] >= kill_ns and r.get("symbol") == "MSFT":
            if r["order_id"] >> 63 != 1:
                fail("a strategy order for MSFT went out after its account's kill: %s" % r)
            counts["msft_flatten"] += 1
        if r["type"] == "risk_reject" and r.get("symbol") == "MSFT" and r.get("reason") == "kill_switch":
            counts["msft_refused"] += 1
        if r["type"] == "risk_reject" and r.get("symbol") == "USDCHF":
            fail("fx had an order refused: %s" % r)
    if counts["fx_after"] == 0:
        fail("fx sent no order after stocks' kill")
    if counts["msft_flatten"] != 1 or counts["msft_refused"] == 0:
        fail("stocks' kill: %d flatten orders, %d refused (want 1 and some)" %
             (counts["msft_flatten"], counts["msft_refused"]))
    fx, stocks = accounts["fx"], accounts["stocks"]
    if fx["fills"] != counts["fills"][0] or stocks["fills"] != counts["fills"][1]:
        fail("report fills fx %d stocks %d, journal %s" % (fx["fills"], stocks["fills"], counts["fills"]))
    if fx["starting_cash"] != "1000000" or stocks["starting_cash"] != "250000":
        fail("starting cash fx %s stocks %s" % (fx["starting_cash"], stocks["starting_cash"]))
    by_symbol = {s["symbol"]: s for s in report["symbols"]}
    if by_symbol["MSFT"]["position"] != "0":
        fail("MSFT is not flat after the flatten: %s" % by_symbol["MSFT"])
    if report["fills"] != fx["fills"] + stocks["fills"]:
        fail("session fills %d are not the accounts' sum" % report["fills"])
    total = float(fx["final_equity"]) + float(stocks["final_equity"])
    if abs(float(report["final_equity"]) - total) > 1e-6:
        fail("session equity %s is not the accounts' sum %s" % (report["final_equity"], total))

    verify = keel("replay", journal, "--verify")
    if verify.returncode != 0:
        fail("replay --verify exited %d: %s" % (verify.returncode, verify.stdout[-2000:]))
    journal2 = os.path.join(T, "j2")
    if keel("backtest", "-c", config, "--journal", journal2).returncode != 0:
        fail("second backtest failed")
    for name in sorted(os.listdir(journal)):
        if name.endswith(".seg") and not filecmp.cmp(os.path.join(journal, name),
                                                     os.path.join(journal2, name), shallow=False):
            fail("two runs differ in " + name)

    bad = write_config("bad", "time,command,arg,account\n%s,kill,1,bonds\n" % KILL_TS)
    r = keel("backtest", "-c", bad, "--journal", os.path.join(T, "j3"))
    if r.returncode == 0 or "'bonds' is not an account (accounts: fx, stocks)" not in r.stderr:
        fail("an unknown account in a command row: exit %d, %s" % (r.returncode, r.stderr))
    both = write_config("both", "time,command\n", lambda c: c.update(venue={"type": "sim"}))
    r = keel("config", "check", both)
    if r.returncode != 2 or "venue: a config with accounts gives each account its venue" not in r.stderr:
        fail("accounts and venue together: exit %d, %s" % (r.returncode, r.stderr))
    bench = json.load(open(os.path.join(SRC, "config", "bench.json")))
    venue = bench.pop("venue")
    bench["accounts"] = [{"name": "a", "venue": venue}, {"name": "b", "venue": venue}]
    for f in bench["data"]["files"]:
        f["path"] = os.path.join(SRC, "data", os.path.basename(f["path"]))
    bench_path = os.path.join(T, "bench.json")
    json.dump(bench, open(bench_path, "w"))
    r = keel("bench", "e2e", "--config", bench_path, "--events", "100")
    if r.returncode != 2 or "measures a session with one account; the config has 2" not in r.stderr:
        fail("keel bench e2e with two accounts: exit %d, %s" % (r.returncode, r.stderr))
    print("accounts: fx %d fills, stocks %d fills; after the kill fx sent %d orders, stocks 1 "
          "flatten and %d refused; verify ok; two runs identical" %
          (fx["fills"], stocks["fills"], counts["fx_after"], counts["msft_refused"]))


main()
