#!/usr/bin/env python3
# Proves that the three layout checks (scripts/check_layout.py, check_function_length.py,
# check_readme_paths.py) fail on a violation and name it, and pass a tree without one, on the
# fixture trees in tests/layout_fixtures/ (clean/, broken/, scanner/).
#   python3 tests/layout_checks_test.py [IncludeRuleTest|FunctionLengthTest|ReadmePathsTest]
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = REPO / "scripts"
FIXTURES = Path(__file__).resolve().parent / "layout_fixtures"
CLEAN = FIXTURES / "clean"
BROKEN = FIXTURES / "broken"


def run(script, *args):
    done = subprocess.run([sys.executable, str(SCRIPTS / script), *map(str, args)],
                          capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


def problem_lines(out):
    """The lines that name a file:line (the violations), without the summary."""
    return [line.strip() for line in out.splitlines()
            if re.match(r"\s*[\w./-]+:\d+: ", line) and "allowlisted (" not in line]


class IncludeRuleTest(unittest.TestCase):
    SCRIPT = "check_layout.py"

    def test_clean_tree_passes(self):
        rc, out, err = run(self.SCRIPT, "--root", CLEAN)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("check_layout: ok", out)

    def test_each_violation_is_named(self):
        rc, out, err = run(self.SCRIPT, "--root", BROKEN)
        self.assertEqual(rc, 1, out + err)
        expected = [
            # An upward include between folders.
            ('engine/src/core/upward.cpp:3: #include "keel/adapters/csv/csv_source.hpp"',
             "engine/ may not include from adapters/"),
            # A keel header that does not exist.
            ('journal/src/stale.cpp:2: #include "keel/journal/gone.hpp"',
             "no such keel header"),
            # Sideways between replay's layers.
            ('replay/src/session/bad_layer.cpp:3: #include "keel/replay/reports/summary.hpp"',
             "replay layer session/ may not include from reports/"),
            # Another folder's private header in src/, by relative path.
            ('tools/src/private.cpp:2: #include "../../adapters/src/http/wire.hpp"',
             "private header of adapters/"),
        ]
        problems = problem_lines(out)
        for where, rule in expected:
            self.assertTrue(any(p.startswith(where) and rule in p for p in problems),
                            f"expected '{where}' ... '{rule}' in:\n{out}")
        # Nothing else: allowed includes (downward, within replay's layers, a private header
        # beside its includer) and the exempt tests/ and bench/ are not reported.
        self.assertEqual(len(problems), len(expected), out)

    def test_bad_root_cannot_run(self):
        with tempfile.TemporaryDirectory() as empty:
            rc, out, err = run(self.SCRIPT, "--root", empty)
        self.assertEqual(rc, 2, out + err)


def markers(path):
    """{name: (first line, last line)} from the "begin: NAME" / "end: NAME" comments."""
    found = {}
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        for kind, name in re.findall(r"(begin|end): (\S+)", line):
            first, last = found.get(name, (None, None))
            found[name] = (lineno, last) if kind == "begin" else (first, lineno)
    return found


class FunctionLengthTest(unittest.TestCase):
    SCRIPT = "check_function_length.py"

    def test_clean_tree_passes(self):
        # at_limit is exactly 100 lines; allowed_long is 105 and allowlisted.
        rc, out, err = run(self.SCRIPT, "--root", CLEAN)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("engine/src/long.cpp:6: allowed_long is 105 lines (6-110), allowlisted", out)
        self.assertNotIn("at_limit", out)

    def test_long_function_and_stale_entries_fail(self):
        rc, out, err = run(self.SCRIPT, "--root", BROKEN)
        self.assertEqual(rc, 1, out + err)
        problems = problem_lines(out)
        expected = [
            # One line over the limit, not allowlisted.
            "engine/src/too_long.cpp:6: too_long is 101 lines (6-106), over 100 and NOT in "
            "long_functions.txt",
            # An entry whose function is no longer long.
            "long_functions.txt:3: stale entry 'engine/src/core/event.cpp | short_one': "
            "short_one is 3 lines now",
            # An entry whose function is gone.
            "long_functions.txt:4: stale entry 'engine/src/core/event.cpp | removed_one': "
            "engine/src/core/event.cpp has no function removed_one",
        ]
        for e in expected:
            self.assertTrue(any(p.startswith(e) for p in problems), f"expected '{e}' in:\n{out}")
        # tests/exempt_test.cpp's 123-line function is not scanned.
        self.assertEqual(len(problems), len(expected), out)
        self.assertNotIn("long_test", out)

    def test_allowlist_reasons_are_required(self):
        with tempfile.TemporaryDirectory() as tmp:
            allowlist = Path(tmp) / "long_functions.txt"
            for line, complaint in [
                ("engine/src/long.cpp | allowed_long", "expected 'path | function | reason'"),
                ("engine/src/long.cpp | allowed_long | because", "'for now: why'"),
                ("engine/src/long.cpp | allowed_long | hot: it is fast", "names the benchmark"),
                ("engine/src/long.cpp | allowed_long | hot: bench/no_such_bench.cpp x: fast",
                 "bench/no_such_bench.cpp named as the benchmark does not exist"),
            ]:
                allowlist.write_text(line + "\n")
                rc, out, err = run(self.SCRIPT, "--root", CLEAN, "--allowlist", allowlist)
                self.assertEqual(rc, 2, f"{line}: {out}{err}")
                self.assertIn(complaint, err, line)
            allowlist.write_text(
                "engine/src/long.cpp | allowed_long | hot: bench/exempt_bench.cpp x: kept whole\n")
            rc, out, err = run(self.SCRIPT, "--root", CLEAN, "--allowlist", allowlist)
            self.assertEqual(rc, 0, out + err)

    def test_scanner_finds_each_function_and_its_lines(self):
        # Comments, strings, raw strings, char literals, digit separators, lambdas, initializer
        # lists with braces, nested classes and namespaces, operators, function-try-blocks.
        root = FIXTURES / "scanner"
        source = root / "engine" / "src" / "scanner_cases.cpp"
        expected = markers(source)
        self.assertGreater(len(expected), 10)
        with tempfile.TemporaryDirectory() as tmp:
            empty = Path(tmp) / "long_functions.txt"
            empty.write_text("")
            rc, out, err = run(self.SCRIPT, "--root", root, "--allowlist", empty, "--all",
                               "--max-lines", "1000")
        self.assertEqual(rc, 0, out + err)
        found = {}
        listed = re.compile(r"^engine/src/scanner_cases\.cpp:\d+: (\S+) \d+ lines \((\d+)-(\d+)\)$",
                            re.MULTILINE)
        for m in listed.finditer(out):
            found[m.group(1)] = (int(m.group(2)), int(m.group(3)))
        self.assertEqual(found, expected, out + err)


class ReadmePathsTest(unittest.TestCase):
    SCRIPT = "check_readme_paths.py"

    def test_clean_tree_passes(self):
        rc, out, err = run(self.SCRIPT, "--root", CLEAN)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("check_readme_paths: ok, 8 paths", out)

    def test_missing_paths_are_named(self):
        rc, out, err = run(self.SCRIPT, "--root", BROKEN)
        self.assertEqual(rc, 1, out + err)
        problems = problem_lines(out)
        expected = [
            "README.md:3: `engine/src/missing.cpp` names no file or folder",
            "engine/README.md:8: `old_event.hpp` names no file or folder (looked from the root, "
            "engine/, engine/include/keel/engine/, engine/src/)",
        ]
        for e in expected:
            self.assertTrue(any(p.startswith(e) for p in problems), f"expected '{e}' in:\n{out}")
        # Routes, URLs, keys, benchmark names, placeholders, command lines, git-ignored build
        # outputs and fenced code are not taken for paths.
        self.assertEqual(len(problems), len(expected), out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
