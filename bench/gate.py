#!/usr/bin/env python3
"""The benchmark gate CI runs after bench/run.sh (Python 3.11 standard library only).

  bench/gate.py check [--results FILE] [--baseline FILE] [--skip-icount]
      Fails (exit 1) naming every ratio past its gate bound (value and bound), every benchmark
      binary that failed its own checks, and an instruction count per event more than 5% above
      the committed baseline. Exit 0 when all hold, 2 when the files cannot be used.
  bench/gate.py icount BINARY --out FILE
      Runs BINARY (bench/pipeline_icount) under callgrind, counting only the pipeline thread's
      instructions, and writes the count per event to FILE (JSON).
  bench/gate.py update-icount-baseline --reason TEXT [--results FILE | --icount FILE]
      Rewrites bench/baseline/icount.json from a measured count, with today's date and the
      reason. Commit that file alone, so the history says why the baseline moved.

Gate bounds live beside the targets in each benchmark's ratio table (bench/*_bench.cpp); this
script only compares what the results file says. bench/README.md explains each bound.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_RESULTS = BENCH_DIR / "results" / "latest.json"
DEFAULT_BASELINE = BENCH_DIR / "baseline" / "icount.json"
# A rise above this fraction of the baseline fails: callgrind's count is exact and the same run
# to run (bench/README.md shows the spread), so 5% is a real change of the code, not noise.
ICOUNT_TOLERANCE = 0.05

# Callgrind counts only inside the pipeline thread's entry point (the runner's agent thread;
# in the fused plan that one thread runs ingest, strategy, risk, gateway and the venue), and
# only once pipeline_icount has switched instrumentation on, after loading its data.
CALLGRIND_ARGS = [
    "--tool=callgrind",
    "--instr-atstart=no",
    "--collect-atstart=no",
    "--toggle-collect=*Runner::Agent::start*",
]


class UnusableInput(Exception):
    """A results or baseline file that is missing or malformed (exit status 2)."""


def load_json(path: Path, what: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise UnusableInput(f"{what} {path}: no such file") from None
    except json.JSONDecodeError as e:
        raise UnusableInput(f"{what} {path}: not JSON: line {e.lineno} column {e.colno}: {e.msg}") from None
    if not isinstance(data, dict):
        raise UnusableInput(f"{what} {path}: expected a JSON object at the top")
    return data


# --- verdicts, shared with bench/collect.py ---

def past_bound(value: float, direction: str, bound: float) -> bool:
    if direction == "at_most":
        return value > bound
    if direction == "at_least":
        return value < bound
    raise UnusableInput(f"unknown direction {direction!r} (expected at_most or at_least)")


def target_verdict(ratio: dict) -> str:
    if ratio.get("direction", "none") == "none" or ratio.get("target") is None:
        return "info"
    if ratio.get("value") is None:
        return "not run"
    return "MISS" if past_bound(ratio["value"], ratio["direction"], ratio["target"]) else "PASS"


def gate_verdict(ratio: dict) -> str:
    if ratio.get("direction", "none") == "none" or ratio.get("gate") is None:
        return "not gated"
    if ratio.get("void_reason"):
        return "VOID"  # measured while another process took the CPUs; neither pass nor fail
    if ratio.get("value") is None:
        return "FAIL"  # a gated ratio that was not measured cannot be shown to hold
    return "FAIL" if past_bound(ratio["value"], ratio["direction"], ratio["gate"]) else "PASS"


def bound_text(direction: str, bound: float | None) -> str:
    if bound is None or direction == "none":
        return "-"
    return f"{'<=' if direction == 'at_most' else '>='} {bound:g}"


def icount_change(measured: dict, baseline: dict) -> float:
    """Relative change of the instructions per event against the baseline (0.06 = 6% more)."""
    try:
        now = float(measured["per_event"])
        base = float(baseline["per_event"])
    except (KeyError, TypeError, ValueError):
        raise UnusableInput("an instruction count needs a numeric per_event") from None
    if base <= 0:
        raise UnusableInput("the baseline's per_event must be positive")
    return now / base - 1.0


# --- check ---

def check_ratios(results: dict) -> list[str]:
    failures = []
    ratios = results.get("ratios")
    if not isinstance(ratios, list):
        raise UnusableInput("results: no list of ratios (key 'ratios')")
    gated = 0
    for r in ratios:
        if not isinstance(r, dict) or "name" not in r:
            raise UnusableInput(f"results: a ratio without a name: {r!r}")
        verdict = gate_verdict(r)
        if verdict == "not gated":
            continue
        gated += 1
        where = f"{r.get('bench', '?')}: {r['name']}"
        if verdict == "VOID":
            print(f"VOID {where}: {r.get('value')} not held to its gate bound "
                  f"{bound_text(r['direction'], r['gate'])} in this run: {r['void_reason']}")
        elif r.get("value") is None:
            failures.append(f"{where}: not measured (gate {bound_text(r['direction'], r['gate'])})")
        elif verdict == "FAIL":
            failures.append(
                f"{where}: {r['value']:.3g} is past its gate bound {bound_text(r['direction'], r['gate'])}"
                f" (target {bound_text(r['direction'], r.get('target'))})")
    print(f"ratios: {gated} gated, {len(failures)} past their bound")
    for name, b in sorted(results.get("benchmarks", {}).items()):
        status = b.get("exit_status", 0) if isinstance(b, dict) else 0
        if status != 0:
            failures.append(f"{name}: exited {status} (its own checks failed, or it did not run)")
    return failures


def check_icount(measured: dict, baseline: dict, tolerance: float) -> list[str]:
    if measured.get("input") != baseline.get("input"):
        return [f"icount: measured on {measured.get('input')!r} but the baseline is for "
                f"{baseline.get('input')!r}; update the baseline (bench/README.md)"]
    change = icount_change(measured, baseline)
    line = (f"icount: {float(measured['per_event']):.1f} instructions per event, baseline "
            f"{float(baseline['per_event']):.1f} ({change:+.2%}, fails above +{tolerance:.0%})")
    print(line)
    if change > tolerance:
        return [line + f"; baseline from {baseline.get('date', '?')}: {baseline.get('reason', '?')}"]
    if change < -tolerance:
        print("icount: well below the baseline; update it deliberately so the gate guards the "
              "new level (bench/gate.py update-icount-baseline --reason ...)")
    return []


def cmd_check(args: argparse.Namespace) -> int:
    results = load_json(args.results, "results")
    failures = check_ratios(results)
    if not args.skip_icount:
        measured = results.get("icount")
        if not isinstance(measured, dict):
            raise UnusableInput(f"results {args.results}: no instruction count (key 'icount'); "
                                "run bench/run.sh, or pass --skip-icount")
        failures += check_icount(measured, load_json(args.baseline, "baseline"), args.tolerance)
    for f in failures:
        print(f"FAIL {f}")
    print("gate: FAIL" if failures else "gate: PASS")
    return 1 if failures else 0


# --- icount ---

def parse_callgrind_total(path: Path) -> int:
    """The instruction total of a callgrind output file: its 'totals:' line. (Its 'summary:'
    line, written at start-up, says 0 when collection starts switched off.)"""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"totals:\s+(\d+)", line)
            if m:
                return int(m.group(1))
    raise UnusableInput(f"{path}: no 'totals:' line; not a callgrind output file")


def cmd_icount(args: argparse.Namespace) -> int:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise UnusableInput("valgrind is not installed (scripts/deps.sh installs it)")
    version = subprocess.run([valgrind, "--version"], capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="keel_icount_") as tmp:
        out_file = Path(tmp) / "callgrind.out"
        cmd = [valgrind, *CALLGRIND_ARGS, f"--callgrind-out-file={out_file}", str(args.binary)]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            raise UnusableInput(f"{' '.join(cmd)} exited {run.returncode}:\n{run.stderr[-2000:]}")
        try:
            info = json.loads(run.stdout)
            events = int(info["events"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise UnusableInput(f"{args.binary}: expected {{\"events\": N, \"input\": ...}} on stdout, "
                                f"got {run.stdout[:200]!r}") from None
        total = parse_callgrind_total(out_file)
    if events <= 0 or total <= 0:
        raise UnusableInput(f"{args.binary}: counted {total} instructions over {events} events; "
                            "nothing was collected (was the binary built with a different runner?)")
    result = {
        "instructions": total,
        "events": events,
        "per_event": round(total / events, 2),
        "input": info.get("input", ""),
        "binary": Path(args.binary).name,
        "valgrind": version,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"icount: {total} instructions / {events} events = {result['per_event']} per event")
    return 0


def cmd_update_baseline(args: argparse.Namespace) -> int:
    if not args.reason.strip():
        raise UnusableInput("--reason must say why the baseline moves")
    if args.icount is not None:
        measured = load_json(args.icount, "instruction count")
    else:
        measured = load_json(args.results, "results").get("icount")
        if not isinstance(measured, dict):
            raise UnusableInput(f"results {args.results}: no instruction count (key 'icount')")
    for key in ("per_event", "instructions", "events", "input"):
        if key not in measured:
            raise UnusableInput(f"instruction count: missing {key!r}")
    old = None
    if args.baseline.exists():
        old = load_json(args.baseline, "baseline").get("per_event")
    baseline = {
        "per_event": measured["per_event"],
        "instructions": measured["instructions"],
        "events": measured["events"],
        "input": measured["input"],
        "build": "cmake --preset icount (Release, -march=x86-64-v2), target pipeline_icount",
        "valgrind": measured.get("valgrind", ""),
        "date": datetime.date.today().isoformat(),
        "reason": args.reason.strip(),
    }
    args.baseline.parent.mkdir(parents=True, exist_ok=True)
    args.baseline.write_text(json.dumps(baseline, indent=2) + "\n", encoding="utf-8")
    print(f"{args.baseline}: {old} -> {baseline['per_event']} instructions per event; "
          f"commit this file alone: git commit {os.path.relpath(args.baseline)} "
          f"-m 'icount baseline: {baseline['reason']}'")
    return 0


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="fail on a ratio past its gate bound or an icount rise")
    c.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    c.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE)
    c.add_argument("--tolerance", type=float, default=ICOUNT_TOLERANCE,
                   help="allowed rise of instructions per event (default 0.05)")
    c.add_argument("--skip-icount", action="store_true", help="check the ratios only")
    c.set_defaults(run=cmd_check)
    i = sub.add_parser("icount", help="count the pipeline thread's instructions per event")
    i.add_argument("binary", type=Path)
    i.add_argument("--out", type=Path, required=True)
    i.set_defaults(run=cmd_icount)
    u = sub.add_parser("update-icount-baseline", help="rewrite the baseline from a measurement")
    u.add_argument("--reason", required=True)
    src = u.add_mutually_exclusive_group()
    src.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    src.add_argument("--icount", type=Path, help="an output of 'gate.py icount'")
    u.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE)
    u.set_defaults(run=cmd_update_baseline)
    args = p.parse_args(argv)
    try:
        return args.run(args)
    except UnusableInput as e:
        print(f"gate: cannot run: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
