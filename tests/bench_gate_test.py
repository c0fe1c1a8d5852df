#!/usr/bin/env python3
# Proves that bench/gate.py fails CI exactly when a ratio is past its gate bound or the
# instruction count per event rose more than 5%, and names what failed (synthetic inputs).
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

GATE = Path(__file__).resolve().parent.parent / "bench" / "gate.py"
INPUT = "synthetic input"


def ratio(name, value, direction, target, gate):
    return {"bench": "ring_bench", "name": name, "value": value, "direction": direction,
            "target": target, "gate": gate}


def within_bounds():
    return [
        ratio("throughput: keel batch / boost", 1.4, "at_least", 1.5, 1.0),
        ratio("append: keel os / mmap floor", 20.0, "at_most", 1.3, 60.0),
        ratio("round trip: keel / moodycamel", 9.0, "none", None, None),
    ]


class GateTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        self.baseline = self.dir / "icount.json"
        self.baseline.write_text(json.dumps(
            {"per_event": 1000.0, "instructions": 100000, "events": 100, "input": INPUT,
             "date": "2026-01-01", "reason": "synthetic"}))

    def tearDown(self):
        self.tmp.cleanup()

    def results(self, ratios, per_event=1000.0, input_name=INPUT, benchmarks=None):
        path = self.dir / "latest.json"
        path.write_text(json.dumps({
            "ratios": ratios,
            "icount": {"per_event": per_event, "instructions": int(per_event * 100),
                       "events": 100, "input": input_name},
            "benchmarks": benchmarks or {"ring_bench": {"exit_status": 0}},
        }))
        return path

    def gate(self, *args):
        return subprocess.run([sys.executable, str(GATE), *args], capture_output=True, text=True)

    def check(self, results):
        return self.gate("check", "--results", str(results), "--baseline", str(self.baseline))

    def test_ratios_within_their_bounds_and_an_unchanged_count_pass(self):
        r = self.check(self.results(within_bounds()))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("gate: PASS", r.stdout)

    def test_a_ratio_past_its_gate_bound_fails_naming_it_with_value_and_bound(self):
        ratios = within_bounds()
        ratios[0]["value"] = 0.93  # keel's ring now slower than Boost's
        r = self.check(self.results(ratios))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("FAIL ring_bench: throughput: keel batch / boost: 0.93 is past its gate "
                      "bound >= 1", r.stdout)
        self.assertNotIn("mmap floor", r.stdout.split("gate: FAIL")[0].split("FAIL", 1)[1])

    def test_an_upper_bound_is_failed_from_above(self):
        ratios = within_bounds()
        ratios[1]["value"] = 61.0
        r = self.check(self.results(ratios))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("append: keel os / mmap floor: 61 is past its gate bound <= 60", r.stdout)

    def test_a_missed_target_within_the_gate_bound_passes(self):
        ratios = within_bounds()
        ratios[0]["value"] = 1.01  # MISS against the 1.5 target, inside the 1.0 gate
        self.assertEqual(self.check(self.results(ratios)).returncode, 0)

    def test_a_ratio_voided_by_a_disturbed_run_is_reported_but_neither_passes_nor_fails(self):
        ratios = within_bounds()
        ratios[0]["value"] = 0.37
        ratios[0]["void_reason"] = "another process took CPU time"
        r = self.check(self.results(ratios))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("VOID ring_bench: throughput: keel batch / boost: 0.37 not held to its gate "
                      "bound >= 1 in this run: another process took CPU time", r.stdout)

    def test_a_gated_ratio_that_was_not_measured_fails(self):
        ratios = within_bounds()
        ratios[1]["value"] = None
        r = self.check(self.results(ratios))
        self.assertEqual(r.returncode, 1)
        self.assertIn("append: keel os / mmap floor: not measured", r.stdout)

    def test_a_benchmark_that_failed_its_own_checks_fails(self):
        r = self.check(self.results(within_bounds(),
                                    benchmarks={"ring_bench": {"exit_status": 1}}))
        self.assertEqual(r.returncode, 1)
        self.assertIn("FAIL ring_bench: exited 1", r.stdout)

    def test_an_instruction_count_6_percent_above_the_baseline_fails(self):
        r = self.check(self.results(within_bounds(), per_event=1060.0))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("FAIL icount: 1060.0 instructions per event, baseline 1000.0 (+6.00%",
                      r.stdout)

    def test_an_instruction_count_4_percent_above_the_baseline_passes(self):
        r = self.check(self.results(within_bounds(), per_event=1040.0))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("(+4.00%", r.stdout)

    def test_a_count_measured_on_another_input_than_the_baseline_fails(self):
        r = self.check(self.results(within_bounds(), input_name="another input"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("update the baseline", r.stdout)

    def test_results_that_are_not_json_cannot_be_gated(self):
        bad = self.dir / "bad.json"
        bad.write_text("{not json")
        r = self.check(bad)
        self.assertEqual(r.returncode, 2)
        self.assertIn("not JSON: line 1", r.stderr)

    def test_updating_the_baseline_records_the_count_the_date_and_the_reason(self):
        results = self.results(within_bounds(), per_event=1234.5)
        r = self.gate("update-icount-baseline", "--reason", "faster marks", "--results",
                      str(results), "--baseline", str(self.baseline))
        self.assertEqual(r.returncode, 0, r.stderr)
        b = json.loads(self.baseline.read_text())
        self.assertEqual((b["per_event"], b["input"], b["reason"]), (1234.5, INPUT, "faster marks"))
        self.assertRegex(b["date"], r"^\d{4}-\d{2}-\d{2}$")
        self.assertEqual(self.check(results).returncode, 0)

    def test_updating_the_baseline_without_a_reason_is_refused(self):
        r = self.gate("update-icount-baseline", "--reason", " ", "--results",
                      str(self.results(within_bounds())), "--baseline", str(self.baseline))
        self.assertEqual(r.returncode, 2)
        self.assertEqual(json.loads(self.baseline.read_text())["reason"], "synthetic")


if __name__ == "__main__":
    unittest.main()
