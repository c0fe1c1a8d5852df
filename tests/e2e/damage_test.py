#!/usr/bin/env python3
"""Damage is never mistaken for an end, and nothing that holds a record is deleted.

Over a small, cleanly closed journal (a backtest of the bundled USD/CHF data with 1 MiB
segments: six input segments and one each for strategy, risk and gateway), each kind of damage
a disk, a copy or a hand can do is applied to a fresh copy:
  - a zeroed 4 KiB page at the start, the middle and the end of each stream's first and last
    segment; each stream deleted; a middle segment deleted; a sealed segment truncated; two
    segments swapped.
For each, `keel journal verify` exits 2 naming the file and the offset, and `keel run`,
`keel journal export` and `keel replay` refuse (non-zero) without changing a byte: the test
hashes every file of the directory before and after.

A journal written by a crashed process (its manifest still open) keeps today's behaviour: a
cut in the unsealed tail of a stream's last segment is a torn tail (verify exits 1), and a
restart continues the journal, keeping the cut bytes in `<segment>.torn`. A restart whose
rebuild fails (a derived record changed with a valid CRC) refuses naming the stream and
sequence, and changes no byte: the torn tail is cut only after the rebuild has succeeded.
Usage: damage_test.py KEEL SRC
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from as_crashed import mark_crashed  # noqa: E402

KEEL, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
T = tempfile.mkdtemp(prefix="keel_damage_")
PAGE = 4096
STREAMS = ("input", "strategy", "risk", "gateway")
failures = []


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def run(*args):
    return subprocess.run([KEEL, *args], capture_output=True, text=True, timeout=300)


def digests(d):
    return {name: hashlib.sha256(open(os.path.join(d, name), "rb").read()).hexdigest()
            for name in sorted(os.listdir(d))}


def segments(d, stream):
    return sorted(n for n in os.listdir(d) if n.startswith(stream + ".") and n.endswith(".seg"))


def write_config():
    cfg = {
        "session": {"name": "damage"},
        "data": {"files": [{"path": os.path.join(SRC, "data", "usdchf_30m.csv"),
                            "symbol": "USDCHF"}]},
        "strategies": [{"type": "sma_cross", "symbol": "USDCHF", "timeframe": "30m",
                        "fast": 48, "slow": 240, "quantity": "100000"}],
        "account": {"starting_cash": "1000000"},
        "risk": {"max_order_qty": "250000", "max_position": "1000000", "max_open_orders": 64},
        "venue": {"type": "sim"},
        "journal": {"segment_mb": 1},
    }
    path = os.path.join(T, "damage.json")
    json.dump(cfg, open(path, "w"))
    return path


def zero(path, where):
    size = os.path.getsize(path)
    at = {"start": 0, "middle": (size // 2) // PAGE * PAGE,
          "end": max(0, size - PAGE)}[where]
    with open(path, "r+b") as f:
        f.seek(at)
        f.write(b"\0" * min(PAGE, size - at))


def damage_kinds(base):
    """(name, function(dir)) for every kind of damage."""
    kinds = []
    for stream in STREAMS:
        segs = segments(base, stream)
        for seg in sorted({segs[0], segs[-1]}):
            for where in ("start", "middle", "end"):
                kinds.append(("zero %s page of %s" % (where, seg),
                              lambda d, s=seg, w=where: zero(os.path.join(d, s), w)))
        kinds.append(("delete stream %s" % stream,
                      lambda d, st=stream: [os.remove(os.path.join(d, s))
                                            for s in segments(d, st)]))
    inputs = segments(base, "input")
    if len(inputs) < 4:
        fail("the base journal has %d input segments; the suite needs at least 4" % len(inputs))
    middle = inputs[len(inputs) // 2]
    kinds.append(("delete middle segment " + middle, lambda d: os.remove(os.path.join(d, middle))))
    kinds.append(("truncate sealed segment " + inputs[0],
                  lambda d: os.truncate(os.path.join(d, inputs[0]),
                                        os.path.getsize(os.path.join(d, inputs[0])) - 1000)))

    def swap(d):
        a, b = os.path.join(d, inputs[1]), os.path.join(d, inputs[2])
        os.rename(a, a + ".x")
        os.rename(b, a)
        os.rename(a + ".x", b)
    kinds.append(("swap segments %s and %s" % (inputs[1], inputs[2]), swap))
    return kinds


def check_refused(name, d, config, base_names):
    before = digests(d)
    v = run("journal", "verify", d)
    if v.returncode != 2:
        failures.append("%s: journal verify exited %d, expected 2:\n%s" % (name, v.returncode,
                                                                          v.stdout + v.stderr))
    elif "offset" not in v.stdout + v.stderr:
        failures.append("%s: journal verify does not name the offset:\n%s" % (name, v.stdout))
    elif not any(f in v.stdout + v.stderr for f in base_names):
        failures.append("%s: journal verify does not name the file:\n%s" % (name, v.stdout))
    for what, args in (("keel run", ["run", "--config", config, "--journal", d]),
                       ("journal export", ["journal", "export", d, os.path.join(T, "out.sqlite")]),
                       ("replay", ["replay", d])):
        r = run(*args)
        if r.returncode == 0:
            failures.append("%s: %s exited 0 on a damaged journal" % (name, what))
        if digests(d) != before:
            failures.append("%s: %s changed the journal directory" % (name, what))
            return


def crashed_copy(base, d):
    """A copy of base as a crashed process leaves it: the manifest still open."""
    shutil.copytree(base, d)
    mark_crashed(d)


def check_crash(base, config):
    d = os.path.join(T, "crashed")
    crashed_copy(base, d)
    if run("journal", "verify", d).returncode != 0:
        fail("a crashed copy of a clean journal does not verify")
    seg = os.path.join(d, segments(d, "gateway")[-1])
    size = os.path.getsize(seg)
    cut = open(seg, "rb").read()[size - 20:]
    os.truncate(seg, size - 20)  # the last record, cut mid-write
    v = run("journal", "verify", d)
    if v.returncode != 1 or "torn tail" not in v.stdout:
        fail("a cut in a crashed journal's tail: verify exited %d, expected 1:\n%s" %
             (v.returncode, v.stdout))
    r = run("run", "--config", config, "--journal", d)
    if r.returncode != 0:
        fail("the restart on a crashed journal exited %d:\n%s" % (r.returncode, r.stderr))
    torn = seg + ".torn"
    if not os.path.exists(torn) or os.path.getsize(torn) == 0 or \
            not open(seg, "rb").read().startswith(b"") or \
            open(torn, "rb").read() not in open(os.path.join(base, os.path.basename(seg)),
                                                "rb").read():
        fail("the restart kept no .torn copy of the cut bytes")
    if run("journal", "verify", d).returncode != 0:
        fail("the continued journal does not verify")
    if run("replay", d, "--verify").returncode != 0:
        fail("replay --verify fails on the continued journal")


def check_crashed_sealed_segment(base):
    """In a crashed journal the segments the writers rolled past are sealed in the manifest as
    they roll: a change there with a valid CRC (which scans clean) is corruption, while the
    last, unsealed segment may still be torn."""
    d = os.path.join(T, "crashed_sealed")
    crashed_copy(base, d)
    seg = os.path.join(d, segments(d, "input")[0])
    # The first trade's price (payload offset 24: after the 24-byte event header).
    t = subprocess.run([sys.executable, os.path.join(SRC, "tests", "e2e", "tamper_record.py"),
                        seg, "3", "24"], capture_output=True, text=True)
    if t.returncode != 0:
        fail("tamper_record.py: " + t.stderr)
    before = digests(d)
    v = run("journal", "verify", d)
    if v.returncode != 2 or "CRCs differ from its seal" not in v.stdout or \
            os.path.basename(seg) not in v.stdout:
        fail("a sealed segment of a crashed journal changed with a valid CRC: verify exited %d, "
             "expected 2 naming it:\n%s" % (v.returncode, v.stdout))
    if run("replay", d).returncode == 0 or digests(d) != before:
        fail("replay did not refuse the changed sealed segment, or changed the journal")


def check_failed_recovery_changes_nothing(base, config):
    """A restart whose rebuild fails changes nothing on disk, the torn tail included."""
    d = os.path.join(T, "crashed_diverged")
    crashed_copy(base, d)
    seg = os.path.join(d, segments(d, "gateway")[-1])
    os.truncate(seg, os.path.getsize(seg) - 20)  # a torn tail recovery would cut
    # A derived record changed with a valid CRC: the rebuild derives something else.
    risk = os.path.join(d, segments(d, "risk")[0])
    t = subprocess.run([sys.executable, os.path.join(SRC, "tests", "e2e", "tamper_record.py"),
                        risk, "33", "48"], capture_output=True, text=True)
    if t.returncode != 0:
        fail("tamper_record.py: " + t.stderr)
    seq = t.stdout.strip()
    before = digests(d)
    r = run("run", "--config", config, "--journal", d)
    if r.returncode == 0:
        fail("a restart whose rebuild diverges exited 0")
    if "risk stream, sequence %s (a order_request record)" % seq not in r.stderr:
        fail("the refusal does not name the stream, sequence %s and record type:\n%s" %
             (seq, r.stderr))
    if digests(d) != before:
        fail("a restart that failed changed the journal (the torn tail was cut before the "
             "rebuild succeeded)")


def main():
    config = write_config()
    base = os.path.join(T, "base")
    r = run("backtest", "--config", config, "--journal", base)
    if r.returncode != 0:
        fail("the base backtest exited %d: %s" % (r.returncode, r.stderr))
    if run("journal", "verify", base).returncode != 0:
        fail("the base journal does not verify")
    kinds = damage_kinds(base)
    for i, (name, damage) in enumerate(kinds):
        d = os.path.join(T, "case%02d" % i)
        shutil.copytree(base, d)
        damage(d)
        check_refused(name, d, config, sorted(os.listdir(base)))
        shutil.rmtree(d)
    check_crash(base, config)
    check_crashed_sealed_segment(base)
    check_failed_recovery_changes_nothing(base, config)
    if failures:
        fail("%d of %d damage kinds not refused as they must be:\n  %s" %
             (len(failures), len(kinds), "\n  ".join(failures)))
    print("damage: %d kinds refused by verify (exit 2), run, export and replay, nothing "
          "changed; a crashed journal's torn tail is exit 1 and the restart keeps it in .torn"
          % len(kinds))
    shutil.rmtree(T, ignore_errors=True)


main()
