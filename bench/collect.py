#!/usr/bin/env python3
"""Gathers what bench/run.sh measured into bench/results/latest.json and latest.md.

  bench/collect.py RAW_DIR --mode quick|full --out-dir DIR

RAW_DIR holds, per benchmark binary NAME: NAME.gbench.json (Google Benchmark's JSON output),
NAME.ratios.json (its ratio table, written through KEEL_BENCH_RATIOS; only the binaries that
compare against peers or floors have one) and NAME.exit (its exit status); plus icount.json
(bench/gate.py icount) and either e2e.json (keel bench e2e --json) or e2e.skipped (why not).
Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gate  # noqa: E402  (the verdict rules are the gate's, so the table and CI agree)

# The benchmarks without a peer report absolute costs; latest.md lists them for information.
PER_EVENT_BENCHES = ["indicator_bench", "account_bench", "strategy_bench", "risk_bench",
                     "venue_bench"]


def read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return None


def host_manifest() -> dict:
    cpu_model = ""
    for line in (read_text("/proc/cpuinfo") or "").splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    cmdline = read_text("/proc/cmdline") or ""
    return {
        "cpu_model": cpu_model,
        "cpus_online": os.cpu_count(),
        "cpus_available": sorted(os.sched_getaffinity(0)),
        "kernel": platform.release(),
        "governor": read_text("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
        "isolated_cpus": read_text("/sys/devices/system/cpu/isolated") or "",
        "isolcpus_cmdline": [a for a in cmdline.split() if a.startswith(("isolcpus=", "nohz_full="))],
        "transparent_hugepages": read_text("/sys/kernel/mm/transparent_hugepage/enabled"),
        "load_average": list(os.getloadavg()),
    }


def git_state(repo: Path) -> dict:
    def git(*a: str) -> str:
        r = subprocess.run(["git", "-C", str(repo), *a], capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else ""
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def load_optional(path: Path) -> dict | None:
    return gate.load_json(path, "benchmark output") if path.exists() else None


def collect(raw: Path, mode: str) -> dict:
    benchmarks: dict = {}
    ratios: list = []
    for exit_file in sorted(raw.glob("*.exit")):
        name = exit_file.stem
        status = int(exit_file.read_text().strip() or "1")
        gb = load_optional(raw / f"{name}.gbench.json")
        table = load_optional(raw / f"{name}.ratios.json")
        disturbed = (table or {}).get("disturbed", [])
        benchmarks[name] = {
            "exit_status": status,
            "google_benchmark": gb,
            "descheduled": (table or {}).get("descheduled", []),
            "disturbed": disturbed,
        }
        void_reason = ""
        if disturbed and (table or {}).get("gate_void_if_disturbed"):
            void_reason = ("another process took CPU time from its spinning threads in most "
                           "repetitions of " + ", ".join(disturbed))
        for r in (table or {}).get("ratios", []):
            row = {"bench": name, **r}
            if void_reason:
                row["void_reason"] = void_reason
            row["target_verdict"] = gate.target_verdict(row)
            row["gate_verdict"] = gate.gate_verdict(row)
            ratios.append(row)
    icount = load_optional(raw / "icount.json")
    baseline_path = gate.DEFAULT_BASELINE
    if icount is not None and baseline_path.exists():
        baseline = gate.load_json(baseline_path, "baseline")
        icount["baseline_per_event"] = baseline.get("per_event")
        if baseline.get("input") == icount.get("input"):
            icount["change"] = round(gate.icount_change(icount, baseline), 5)
    e2e = load_optional(raw / "e2e.json")
    if e2e is None:
        e2e = {"skipped": read_text(str(raw / "e2e.skipped")) or "not run"}
    return {
        "schema": 1,
        "generated_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "mode": mode,
        "git": git_state(gate.BENCH_DIR.parent),
        "host": host_manifest(),
        "ratios": ratios,
        "icount": icount,
        "e2e": e2e,
        "benchmarks": benchmarks,
    }


def fmt(v: float | None) -> str:
    if v is None:
        return "n/a"
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def markdown(res: dict) -> str:
    h = res["host"]
    out = [
        f"# Benchmark results ({res['mode']} run, {res['generated_utc']})",
        "",
        f"Host: {h['cpu_model']}, {h['cpus_online']} CPUs (used: {h['cpus_available']}), kernel "
        f"{h['kernel']}, governor {h['governor'] or 'not readable'}, isolated CPUs "
        f"{h['isolated_cpus'] or 'none'}, load average {', '.join(f'{x:.2f}' for x in h['load_average'])}. "
        f"Commit {res['git']['commit'][:12]}{' (with local changes)' if res['git']['dirty'] else ''}.",
        "",
        "Ratios are taken within this run (peers and floors measured beside keel). MISS: an "
        "aspirational target is missed (reported only). FAIL: past the gate bound CI holds.",
        "",
        "| benchmark | ratio | value | target | vs target | gate bound | gate |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in res["ratios"]:
        d = r.get("direction", "none")
        out.append(f"| {r['bench']} | {r['name']} | {fmt(r.get('value'))} | "
                   f"{gate.bound_text(d, r.get('target'))} | {r['target_verdict']} | "
                   f"{gate.bound_text(d, r.get('gate'))} | {r['gate_verdict']} |")
    ic = res.get("icount")
    out.append("")
    if ic:
        change = ic.get("change")
        out.append(f"Instructions per event, fused pipeline thread ({ic['input']}; callgrind): "
                   f"**{ic['per_event']:.1f}** ({ic['instructions']:,} / {ic['events']:,} events); "
                   f"baseline {ic['baseline_per_event'] if ic.get('baseline_per_event') is not None else 'none'}"
                   + (f", change {change:+.2%} (gate: fails above +5%)." if change is not None else "."))
    else:
        out.append("Instructions per event: not measured.")
    e2e = res["e2e"]
    out.append("")
    if "skipped" in e2e:
        out.append(f"End-to-end harness (keel bench e2e): skipped: {e2e['skipped']}.")
    else:
        lat = e2e.get("latency_ns", {})
        out.append(f"End-to-end harness (keel bench e2e, mode {e2e.get('mode')}): "
                   f"{fmt(e2e.get('events'))} events at {fmt(e2e.get('rate_eps'))}/s intended, "
                   f"{fmt(e2e.get('achieved_eps'))}/s achieved; latency ns p50 {fmt(lat.get('p50'))}, "
                   f"p99 {fmt(lat.get('p99'))}, p99.9 {fmt(lat.get('p999'))}, p99.99 "
                   f"{fmt(lat.get('p9999'))}, max {fmt(lat.get('max'))}; ring-full waits "
                   f"{fmt(e2e.get('ring_full_waits'))}.")
    rows = []
    for name in PER_EVENT_BENCHES:
        gb = (res["benchmarks"].get(name) or {}).get("google_benchmark") or {}
        for b in gb.get("benchmarks", []):
            if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
                continue
            rows.append(f"| {name} | {b.get('run_name', b['name'])} | {fmt(b.get('real_time'))} "
                        f"{b.get('time_unit', 'ns')} |")
    if rows:
        out += ["", "Per-event costs (no peer; for sizing a thread plan; not gated: the "
                "instruction count guards them):", "", "| benchmark | case | time |",
                "|---|---|---|", *rows]
    warnings = [f"{name}: {d}" for name, b in res["benchmarks"].items()
                for d in b.get("disturbed", [])]
    if warnings:
        out += ["", "Benchmarks whose timed thread lost CPU time to another process in most "
                "repetitions (their ratios are noisier than usual; VOID: the two-thread ring "
                "ratios are then not gated): " + ", ".join(warnings) + "."]
    failed = [n for n, b in res["benchmarks"].items() if b["exit_status"] != 0]
    if failed:
        out += ["", "Benchmark binaries that failed: " + ", ".join(failed) + "."]
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("raw", type=Path)
    p.add_argument("--mode", choices=["quick", "full"], required=True)
    p.add_argument("--out-dir", type=Path, required=True)
    args = p.parse_args(argv)
    try:
        res = collect(args.raw, args.mode)
    except gate.UnusableInput as e:
        print(f"collect: {e}", file=sys.stderr)
        return 2
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "latest.json").write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    md = markdown(res)
    (args.out_dir / "latest.md").write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
