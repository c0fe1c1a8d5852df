#!/usr/bin/env python3
"""Every path a README names must exist.

Scans README.md and <folder>/README.md for the folders journal, engine, adapters, replay,
tools, bench, tests, config and scripts (those that have one). A path is an inline code span
(`like/this.hpp`) that contains a '/' or ends in .hpp .cpp .h .py .sh .json .md .txt .lua .csv
or .service, with no spaces and none of * < > { } $ or "...". It exists if any of these does:
the path from the repository root; from the README's folder; from that folder's
include/keel/<folder>/ (engine/README.md may name `core/event.hpp`); from that folder's src/.

Not taken as paths (they are names, not files): URLs (`wss://`), routes and absolute paths
(`/api/kill`, `/proc`: a leading '/'), command lines (though a command's first word is
checked when it is itself a path: `bench/run.sh --quick` names bench/run.sh), dotted keys
(`strategies.0.fast`: no '/' and no file suffix), and a '/'-name with no file suffix and no
trailing '/' whose first part is no folder in any of those places (benchmark names such as
`append/keel_os`). Paths the repository's .gitignore ignores (`build/dev`,
`compile_commands.json`, bench/results/latest.json) are made by a build or a run and are
not checked. A trailing `:LINE` or
`#anchor` is dropped before the look-up. A path that leaves the repository from its root
(`../shared/ARCHITECTURE.md`) is outside what this repository keeps and is not checked. Fenced code blocks are not scanned.

Usage: scripts/check_readme_paths.py [--root DIR]
Exit 0: every path exists; 1: a missing path (each named README:line); 2: could not run.
"""
import argparse
import fnmatch
import re
import sys
from pathlib import Path

FOLDERS = ["journal", "engine", "adapters", "replay", "tools", "bench", "tests", "config",
           "scripts"]
SUFFIXES = (".hpp", ".cpp", ".h", ".py", ".sh", ".json", ".md", ".txt", ".lua", ".csv",
            ".service")
PLACEHOLDER = re.compile(r"[*<>{}$]|\.\.\.")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# A code span: a run of backticks, then anything up to the same run (CommonMark), never
# across a blank line.
SPAN = re.compile(r"(?<!`)(`+)(?!`)((?:(?!\n[ \t]*\n).)+?)(?<!`)\1(?!`)", re.DOTALL)


def readmes(root: Path):
    found = []
    if (root / "README.md").is_file():
        found.append(root / "README.md")
    for folder in FOLDERS:
        path = root / folder / "README.md"
        if path.is_file():
            found.append(path)
    return found


def _gitignore(path: Path, cache):
    if path not in cache:
        patterns = []
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    patterns.append(line)
        cache[path] = patterns
    return cache[path]


def ignored(root: Path, rel: str, cache) -> bool:
    """Whether git ignores a path (relative to root), by the .gitignore files from the root
    down to it; the last pattern that matches decides, '!' re-includes (the simple forms)."""
    parts = [p for p in rel.split("/") if p and p != "."]
    if not parts or ".." in parts:
        return False
    state = False
    for depth in range(len(parts)):
        sub = parts[depth:]
        for pattern in _gitignore(root.joinpath(*parts[:depth]) / ".gitignore", cache):
            negate = pattern.startswith("!")
            body = pattern.lstrip("!")
            anchored = body.startswith("/") or "/" in body.rstrip("/")
            body = body.strip("/")
            if anchored:
                names = ["/".join(sub[:k]) for k in range(1, len(sub) + 1)]
            else:
                names = sub
            if any(fnmatch.fnmatchcase(n, body) for n in names):
                state = not negate
    return state


def blank_fences(text: str):
    """The text with fenced code blocks replaced by empty lines (line numbers kept)."""
    out = []
    fence = None
    for line in text.split("\n"):
        m = FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)[0] * len(m.group(1))
            out.append("")
        elif fence is not None:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = None
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def path_like(token: str) -> bool:
    if not token or any(c.isspace() for c in token) or PLACEHOLDER.search(token):
        return False
    if "://" in token or token.startswith(("/", "-", "~")):
        return False
    return "/" in token or token.endswith(SUFFIXES)


def bases(root: Path, readme: Path):
    folder = readme.parent
    out = [root, folder]
    if folder != root:
        out.append(folder / "include" / "keel" / folder.name)
        out.append(folder / "src")
    return out


def check_readme(root: Path, readme: Path, cache):
    problems = []
    checked = 0
    text = blank_fences(readme.read_text(encoding="utf-8"))
    rel_readme = readme.relative_to(root).as_posix()
    for m in SPAN.finditer(text):
        token = m.group(2).strip()
        words = token.split()
        if len(words) > 1 and path_like(words[0]):
            # A command line (`bench/run.sh --quick`): the program it runs, when a path.
            token = words[0]
        if not path_like(token):
            continue
        lookup = re.sub(r"(:\d+)+$|#[\w-]*$", "", token)
        candidates = bases(root, readme)
        if not (root / lookup).resolve().is_relative_to(root):
            # Outside the repository (`../shared/ARCHITECTURE.md`): not the repository's to keep.
            continue
        if not lookup or any(
                ignored(root, (b / lookup).relative_to(root).as_posix(), cache)
                for b in candidates):
            continue
        if "/" in lookup and not lookup.endswith("/") and not lookup.endswith(SUFFIXES):
            # A name with a slash but no file suffix (a benchmark's `append/keel_os`) is a path
            # only if it starts at a folder that exists.
            first = lookup.split("/")[0]
            if first not in (".", "..") and not any((b / first).is_dir() for b in candidates):
                continue
        checked += 1
        if any((b / lookup).exists() for b in candidates):
            continue
        line = text.count("\n", 0, m.start(2)) + 1
        places = ["the root"] + [b.relative_to(root).as_posix() + "/"
                                 for b in dict.fromkeys(candidates) if b != root]
        problems.append(f"{rel_readme}:{line}: `{token}` names no file or folder "
                        f"(looked from {', '.join(places)})")
    return checked, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="repository root to check (default: this script's repository)")
    args = parser.parse_args()
    root = args.root.resolve()
    files = readmes(root)
    if not files:
        print(f"check_readme_paths: no README.md under {root}", file=sys.stderr)
        return 2
    cache = {}
    problems = []
    checked = 0
    for readme in files:
        n, p = check_readme(root, readme, cache)
        checked += n
        problems += p
    for p in problems:
        print(p)
    names = ", ".join(f.relative_to(root).as_posix() for f in files)
    if problems:
        print(f"check_readme_paths: {len(problems)} of {checked} paths named in {names} "
              f"do not exist")
        return 1
    print(f"check_readme_paths: ok, {checked} paths named in {names} exist")
    return 0


if __name__ == "__main__":
    sys.exit(main())
