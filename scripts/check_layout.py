#!/usr/bin/env python3
"""The one-way include rule between keel's folders and between replay/'s layers.

Dependencies point one way: tools -> replay -> adapters -> engine -> journal. A folder may
include from itself and from the folders below it, never from one above; journal includes no
other keel folder. Inside replay/, assembly/ is the bottom layer, replay/ sits on it, and
session/, reports/ and ops/ sit on those (ops may also use session).

Scans every #include in <folder>/include and <folder>/src of the five library folders
(tests/ and bench/ are exempt). A "keel/..." include is owned by the folder whose include/
tree holds it; a quoted include that resolves next to the including file (a private header in
src/, such as adapters/src/http/wire.hpp) is owned by the folder and layer it lives in.
An include of a keel header that does not exist is a stale path and fails too.

Usage: scripts/check_layout.py [--root DIR]
Exit 0: the rule holds; 1: a violation (each named file:line); 2: could not run.
"""
import argparse
import re
import sys
from pathlib import Path

# Lowest first: a folder may include from any folder at or before its own position.
FOLDERS = ["journal", "engine", "adapters", "replay", "tools"]
RANK = {name: i for i, name in enumerate(FOLDERS)}
DIRECTION = "tools -> replay -> adapters -> engine -> journal"

# Which replay/ layers each layer may include from.
LAYERS = {
    "assembly": {"assembly"},
    "replay": {"assembly", "replay"},
    "session": {"assembly", "replay", "session"},
    "reports": {"assembly", "replay", "reports"},
    "ops": {"assembly", "replay", "session", "ops"},
}
LAYER_ORDER = "assembly <- replay <- {session, reports, ops}; ops may also use session"

SOURCE_SUFFIXES = {".hpp", ".cpp", ".h", ".cc", ".hh", ".ipp", ".inl"}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*(?:"([^"]+)"|<(keel/[^>]+)>)')


def owner(root: Path, path: Path):
    """(folder, replay layer or None) of a file under root, or (None, None) outside them."""
    try:
        parts = path.resolve().relative_to(root.resolve()).parts
    except ValueError:
        return None, None
    if not parts or parts[0] not in RANK:
        return None, None
    folder = parts[0]
    if folder != "replay":
        return folder, None
    # replay/src/<layer>/... or replay/include/keel/replay/<layer>/...
    if parts[1:2] == ("src",):
        rest = parts[2:]
    elif parts[1:4] == ("include", "keel", "replay"):
        rest = parts[4:]
    else:
        rest = ()
    # A file directly in src/ or include/keel/replay/ has no layer: "" marks that.
    layer = rest[0] if len(rest) > 1 else ""
    return folder, layer


def resolve_keel(root: Path, spelled: str):
    """The file a "keel/..." include names, searched in every folder's include/ tree."""
    for folder in FOLDERS:
        candidate = root / folder / "include" / spelled
        if candidate.is_file():
            return candidate
    return None


def check_include(root, src, lineno, spelled, problems):
    where = f"{src.relative_to(root)}:{lineno}"
    text = f'#include "{spelled}"'
    src_folder, src_layer = owner(root, src)
    if spelled.startswith("keel/"):
        target = resolve_keel(root, spelled)
        if target is None:
            parts = spelled.split("/")
            expected = parts[1] if len(parts) > 2 and parts[1] in RANK else "journal"
            problems.append(f"{where}: {text}: no such keel header (a stale path?): "
                            f"{expected}/include/{spelled} does not exist")
            return
    else:
        # Quoted includes found beside the including file are keel's private headers; any
        # other quoted include comes from an include path outside keel and is not ours to judge.
        target = src.parent / spelled
        if not target.is_file():
            return
    dst_folder, dst_layer = owner(root, target)
    if dst_folder is None:
        problems.append(f"{where}: {text}: resolves to {target} outside keel's library folders")
        return
    try:
        private = target.resolve().relative_to((root / dst_folder / "src").resolve())
    except ValueError:
        private = None
    if private is not None and dst_folder != src_folder:
        problems.append(f"{where}: {text}: {dst_folder}/src/{private} is a private header of "
                        f"{dst_folder}/; other folders use its include/keel/{dst_folder}/ headers")
        return
    if RANK[dst_folder] > RANK[src_folder]:
        problems.append(f"{where}: {text}: {src_folder}/ may not include from {dst_folder}/, "
                        f"which is above it (dependencies point {DIRECTION})")
        return
    if src_folder == "replay" and dst_folder == "replay":
        if src_layer == "":
            problems.append(f"{where}: {text}: this file is in none of replay/'s layers "
                            f"({', '.join(LAYERS)})")
        elif dst_layer == "":
            problems.append(f"{where}: {text}: includes a replay header that is in none of "
                            f"replay/'s layers ({', '.join(LAYERS)})")
        elif src_layer not in LAYERS:
            problems.append(f"{where}: {text}: replay/{src_layer}/ is not one of replay/'s "
                            f"layers ({', '.join(LAYERS)})")
        elif dst_layer not in LAYERS[src_layer]:
            problems.append(f"{where}: {text}: replay layer {src_layer}/ may not include from "
                            f"{dst_layer}/ (allowed: {', '.join(sorted(LAYERS[src_layer]))}; "
                            f"layers: {LAYER_ORDER})")


def scan(root: Path):
    problems = []
    scanned = 0
    for folder in FOLDERS:
        for sub in ("include", "src"):
            base = root / folder / sub
            if not base.is_dir():
                continue
            for src in sorted(base.rglob("*")):
                if src.suffix not in SOURCE_SUFFIXES or not src.is_file():
                    continue
                scanned += 1
                with src.open(encoding="utf-8", errors="replace") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE_RE.match(line)
                        if m:
                            check_include(root, src, lineno, m.group(1) or m.group(2), problems)
    return scanned, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="repository root to check (default: this script's repository)")
    args = parser.parse_args()
    root = args.root.resolve()
    if not any((root / f).is_dir() for f in FOLDERS):
        print(f"check_layout: {root} does not look like keel's repository root", file=sys.stderr)
        return 2
    scanned, problems = scan(root)
    for p in problems:
        print(p)
    if problems:
        print(f"check_layout: {len(problems)} include(s) break the layout rule "
              f"({scanned} files scanned)")
        return 1
    print(f"check_layout: ok, {scanned} files follow {DIRECTION} and replay's layers "
          f"({LAYER_ORDER})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
