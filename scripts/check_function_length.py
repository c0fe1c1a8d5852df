#!/usr/bin/env python3
"""Functions longer than 100 lines in keel's non-test code, checked against an allowlist.

Scans journal/, engine/, adapters/, replay/ and tools/ (tests/ and bench/ are exempt). A
function's length runs from the line of its name in the signature to the line of its closing
brace, both counted. Lambdas and local classes count towards the function that holds them.

Every function over the limit is printed with its length. One that is not in the allowlist
(scripts/long_functions.txt) fails, and so does an allowlist entry that is stale: its function
no longer exists or is no longer over the limit. Each allowlist line is

    path/to/file.cpp | Qualified::name | reason

where the name is spelled as this script prints it (enclosing classes, then the name as the
definition writes it, template arguments dropped) and the reason is either
"hot: bench/<file>.cpp <benchmark name>: why" (a hot loop kept whole for speed, naming
the benchmark that shows it) or "for now: why" (why it may stay until it is split).

The C++ scanner is a small tokenizer, not a compiler: comments, string literals (raw strings
too), character literals and preprocessor lines are skipped; braces are matched; namespaces and
classes (nested too) are entered; any other brace at namespace or class scope is a function body
when the tokens before it read as a declarator followed by qualifiers, a trailing return type,
a requires clause or a constructor's initializer list.

Usage: scripts/check_function_length.py [--root DIR] [--allowlist FILE] [--max-lines N] [--all]
Exit 0: every long function is allowlisted and no entry is stale; 1: a violation; 2: could
not run (for instance a malformed allowlist line).
"""
import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

FOLDERS = ["journal", "engine", "adapters", "replay", "tools"]
SOURCE_SUFFIXES = {".hpp", ".cpp", ".h", ".cc", ".hh", ".ipp", ".inl"}
DEFAULT_MAX_LINES = 100


# ---------------------------------------------------------------------------------------------
# Tokenizer

@dataclass
class Token:
    text: str
    line: int
    kind: str  # "id", "num", "str", "chr", "punct"


_ENCODING_PREFIX = r"(?:u8|u|U|L)?"
_TOKEN_RE = re.compile(
    r"(?P<ws>[ \t\r\f\v]+)"
    r"|(?P<nl>\n)"
    r"|(?P<linecomment>//[^\n]*)"
    r"|(?P<blockcomment>/\*.*?\*/)"
    rf"|(?P<raw>{_ENCODING_PREFIX}R\"(?P<delim>[^()\\ \t\r\n\"]{{0,16}})\()"
    rf"|(?P<str>{_ENCODING_PREFIX}\"(?:\\.|[^\"\\\n])*\")"
    rf"|(?P<chr>{_ENCODING_PREFIX}'(?:\\.|[^'\\\n])+')"
    # A pp-number: digit separators (1'000'000) and exponents with signs belong to it.
    r"|(?P<num>\.?[0-9](?:[eEpP][+-]|'(?=[0-9A-Za-z_])|[0-9A-Za-z_.])*)"
    r"|(?P<id>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<punct><=>|->\*|->|::|\.\.\.|<<=|<<|<=|>=|==|!=|&&|\|\||\+\+|--"
    r"|[-+*/%^&|~!=,;:?.<>(){}\[\]#@$\\])",
    re.DOTALL,
)


def _skip_directive(src: str, pos: int):
    """From a '#' that starts a line, the position after the directive and the newlines in it."""
    newlines = 0
    n = len(src)
    while pos < n:
        c = src[pos]
        if c == "\\" and src.startswith("\n", pos + 1):
            newlines += 1
            pos += 2
        elif c == "\\" and src.startswith("\r\n", pos + 1):
            newlines += 1
            pos += 3
        elif c == "\n":
            return pos, newlines
        elif src.startswith("/*", pos):
            end = src.find("*/", pos + 2)
            end = n if end < 0 else end + 2
            newlines += src.count("\n", pos, end)
            pos = end
        elif src.startswith("//", pos):
            end = src.find("\n", pos)
            return (n if end < 0 else end), newlines
        else:
            pos += 1
    return pos, newlines


def tokenize(src: str):
    tokens = []
    line = 1
    pos = 0
    n = len(src)
    at_line_start = True
    while pos < n:
        if at_line_start and src[pos] == "#":
            pos, newlines = _skip_directive(src, pos)
            line += newlines
            continue
        m = _TOKEN_RE.match(src, pos)
        if m is None:
            # A stray byte (non-ASCII outside a literal): step over it.
            pos += 1
            at_line_start = False
            continue
        kind = m.lastgroup
        text = m.group(0)
        if m.group("raw") is not None:
            close = ")" + m.group("delim") + '"'
            end = src.find(close, m.end())
            end = n if end < 0 else end + len(close)
            tokens.append(Token('R""', line, "str"))
            line += src.count("\n", pos, end)
            pos = end
            at_line_start = False
            continue
        pos = m.end()
        if kind == "nl":
            line += 1
            at_line_start = True
            continue
        if kind in ("ws",):
            continue
        if kind in ("linecomment", "blockcomment"):
            line += text.count("\n")
            continue
        tokens.append(Token(text, line, kind))
        at_line_start = False
    return tokens


# ---------------------------------------------------------------------------------------------
# Declarations

# Words that may stand before a '(' at the top of a declaration without naming a function.
NOT_A_NAME = {
    "alignas", "alignof", "decltype", "sizeof", "noexcept", "requires", "static_assert",
    "throw", "typeid", "explicit", "__attribute__", "__declspec", "if", "for", "while",
    "switch", "return", "catch", "new", "delete", "operator", "template", "co_await",
}
# What may follow a function's parameter list before its body (or an init list or ->).
QUALIFIERS = {"const", "volatile", "&", "&&", "noexcept", "override", "final", "throw", "try",
              "mutable", "constexpr", "consteval", "transaction_safe"}
CLASS_KEYS = {"class", "struct", "union"}
OPENERS = {"(": ")", "[": "]", "{": "}"}


@dataclass
class Function:
    name: str
    start: int  # line of the name
    end: int  # line of the closing brace

    @property
    def length(self):
        return self.end - self.start + 1


def _match(tokens, i, open_text, close_text):
    """Index of the token closing the group that opens at tokens[i]."""
    depth = 0
    for j in range(i, len(tokens)):
        t = tokens[j].text
        if t == open_text:
            depth += 1
        elif t == close_text:
            depth -= 1
            if depth == 0:
                return j
    return len(tokens) - 1


def _skip_angles(stmt, i):
    """Index after the template argument list that opens at stmt[i] ('<')."""
    depth = 0
    paren = 0
    for j in range(i, len(stmt)):
        t = stmt[j].text
        if t in ("(", "["):
            paren += 1
        elif t in (")", "]"):
            paren -= 1
        elif paren == 0 and t == "<":
            depth += 1
        elif paren == 0 and t == ">":
            depth -= 1
            if depth == 0:
                return j + 1
    return len(stmt)


def _strip_prefix(stmt):
    """The statement without leading template<...> heads, attributes and typedef."""
    i = 0
    while i < len(stmt):
        t = stmt[i].text
        if t == "template" and i + 1 < len(stmt) and stmt[i + 1].text == "<":
            i = _skip_angles(stmt, i + 1)
        elif t == "[" and i + 1 < len(stmt) and stmt[i + 1].text == "[":
            i = _match(stmt, i, "[", "]") + 1
        elif t in ("typedef", "export"):
            i += 1
        else:
            break
    return stmt[i:]


def _class_name(head):
    """The name a class head declares ("" when anonymous), or None when the head is not a
    class definition's (struct flock make_lock() { ... } is a function returning a struct)."""
    name = []
    i = 1
    while i < len(head):
        t = head[i]
        if t.text == "[" and i + 1 < len(head) and head[i + 1].text == "[":
            i = _match(head, i, "[", "]") + 1
        elif t.text in ("alignas", "__attribute__", "__declspec") and i + 1 < len(head):
            i = _match(head, i + 1, "(", ")") + 1
        elif t.kind == "id" and t.text != "final" and (not name or name[-1] == "::"):
            name.append(t.text)
            i += 1
        elif t.text == "::":
            name.append("::")
            i += 1
        elif t.text == "<" and name:
            i = _skip_angles(head, i)  # a specialization's arguments
        else:
            break
    if i < len(head) and head[i].text == "final":
        i += 1
    if i == len(head) or head[i].text == ":":
        return "".join(name)
    return None


def _name_before(head, j):
    """(qualified name, token of its last part) of the declarator whose '(' is head[j]."""
    k = j - 1
    parts = []
    if head[k].text == ">":
        # f<int>(...): step back over the template arguments to the name.
        depth = 0
        while k >= 0:
            if head[k].text == ">":
                depth += 1
            elif head[k].text == "<":
                depth -= 1
                if depth == 0:
                    break
            k -= 1
        k -= 1
    if k < 0 or head[k].kind != "id":
        return None, None
    last = head[k]
    parts.append(head[k].text)
    k -= 1
    if k >= 0 and head[k].text == "~":
        parts.append("~")
        k -= 1
    while k >= 1 and head[k].text == "::":
        k -= 1
        if head[k].text == ">":
            depth = 0
            while k >= 0:
                if head[k].text == ">":
                    depth += 1
                elif head[k].text == "<":
                    depth -= 1
                    if depth == 0:
                        break
                k -= 1
            k -= 1
        if k < 0 or head[k].kind != "id":
            break
        parts.append("::")
        parts.append(head[k].text)
        k -= 1
    return "".join(reversed(parts)), last


def _tail_ok(tail):
    """Whether the tokens between a parameter list and '{' can precede a function body.

    Returns (ok, init_list): init_list is True once a constructor's ':' was seen."""
    i = 0
    while i < len(tail):
        t = tail[i].text
        if t in QUALIFIERS:
            if t in ("noexcept", "throw") and i + 1 < len(tail) and tail[i + 1].text == "(":
                i = _match(tail, i + 1, "(", ")") + 1
            else:
                i += 1
        elif t == "[" and i + 1 < len(tail) and tail[i + 1].text == "[":
            i = _match(tail, i, "[", "]") + 1
        elif t == "__attribute__" and i + 1 < len(tail) and tail[i + 1].text == "(":
            i = _match(tail, i + 1, "(", ")") + 1
        elif tail[i].kind == "id" and re.fullmatch(r"[A-Z][A-Z0-9_]*", t):
            # An annotation macro such as KEEL_HOT or KEEL_NOEXCEPT(...).
            i += 1
            if i < len(tail) and tail[i].text == "(":
                i = _match(tail, i, "(", ")") + 1
        elif t in ("->", "requires"):
            rest = tail[i:]
            if any(x.text == "=" for x in rest):
                return False, False
            return True, any(x.text == ":" for x in rest)
        elif t == ":":
            return True, True
        else:
            return False, False
    return True, False


def _function_head(stmt):
    """For a statement that a '{' ends: (name, name token, init_list) if it declares a
    function whose body the '{' opens, else None."""
    head = _strip_prefix(stmt)
    depth = 0  # parentheses and brackets
    angles = 0
    j = 0
    while j < len(head):
        t = head[j]
        text = t.text
        if text == "operator" and depth == 0 and angles == 0:
            # operator==, operator(), operator bool, operator""_x, operator new[]...
            k = j + 1
            if k + 1 < len(head) and head[k].text == "(" and head[k + 1].text == ")":
                k += 2  # operator()
            while k < len(head) and head[k].text != "(":
                k += 1
            if k >= len(head):
                return None
            symbol = head[j + 1:k]
            # "operator==", "operator new[]", "operator const char*": a space only between words.
            name = "operator"
            previous_kind = "id"
            for x in symbol:
                name += (" " if x.kind == "id" and previous_kind == "id" else "") + x.text
                previous_kind = x.kind
            if j >= 2 and head[j - 1].text == "::":
                # Foo::operator==: _name_before reads the qualifier that ends before '::'.
                outer, _ = _name_before(head, j - 1)
                if outer:
                    name = outer + "::" + name
            close = _match(head, k, "(", ")")
            ok, init = _tail_ok(head[close + 1:])
            return (name, head[j], init) if ok else None
        if text in ("(", "["):
            if (text == "(" and depth == 0 and angles == 0 and j > 0
                    and head[j - 1].text not in NOT_A_NAME):
                name, last = _name_before(head, j)
                if name and not any(x.text == "=" for x in head[:j]):
                    close = _match(head, j, "(", ")")
                    ok, init = _tail_ok(head[close + 1:])
                    if ok:
                        return name, last, init
                    j = close + 1
                    continue
            depth += 1
        elif text in (")", "]"):
            depth -= 1
        elif depth == 0 and text == "<":
            angles += 1
        elif depth == 0 and text == ">" and angles > 0:
            angles -= 1
        j += 1
    return None


def find_functions(src: str):
    """Every function definition at namespace or class scope, with its lines."""
    tokens = tokenize(src)
    functions = []
    classes = []  # names of the enclosing classes, "" for a namespace level
    stmt = []
    depth = 0  # parentheses and brackets within stmt
    i = 0
    n = len(tokens)
    while i < n:
        t = tokens[i]
        text = t.text
        if text == ";":
            stmt, depth = [], 0
        elif text == "}":
            if classes:
                kind = classes.pop()
                # After a class body, the statement runs on to its ';' (struct S {...} s;).
                stmt = [Token("}", t.line, "punct")] if kind is not None else []
            else:
                stmt = []
            depth = 0
        elif text == ":" and depth == 0 and len(stmt) == 1 and stmt[0].text in (
                "public", "private", "protected"):
            stmt = []
        elif text == "{" and depth > 0:
            # A brace inside parentheses: a default argument or a braced initializer.
            close = _match(tokens, i, "{", "}")
            stmt.append(Token("{}", t.line, "punct"))
            i = close
        elif text == "{":
            head = _strip_prefix(stmt)
            first = head[0].text if head else ""
            second = head[1].text if len(head) > 1 else ""
            if first == "namespace" or (first == "inline" and second == "namespace") or (
                    first == "extern" and len(head) == 2 and head[1].kind == "str"):
                classes.append(None)
                stmt, depth = [], 0
            elif first in CLASS_KEYS and _class_name(head) is not None:
                classes.append(_class_name(head))
                stmt, depth = [], 0
            else:
                fn = _function_head(stmt) if first != "enum" else None
                if fn is not None and fn[2]:
                    # Inside a constructor's initializer list, a brace right after a member's
                    # name (a_{x}, Base<T>{x}) initializes it; the body's brace follows ')' or
                    # '}' or a pack's '...'.
                    before = stmt[-1].text if stmt else ""
                    if stmt and (stmt[-1].kind == "id" or before == ">"):
                        fn = None
                        close = _match(tokens, i, "{", "}")
                        stmt.append(Token("{}", t.line, "punct"))
                        i = close + 1
                        continue
                if fn is not None:
                    name, last, _ = fn
                    close = _match(tokens, i, "{", "}")
                    # A function-try-block ends with its last handler.
                    while (close + 2 < n and tokens[close + 1].text == "catch"
                           and tokens[close + 2].text == "("):
                        after = _match(tokens, close + 2, "(", ")") + 1
                        if after >= n or tokens[after].text != "{":
                            break
                        close = _match(tokens, after, "{", "}")
                    scope = [c for c in classes if c]
                    qualified = "::".join(scope + [name])
                    functions.append(Function(qualified, last.line, tokens[close].line))
                    stmt, depth = [], 0
                    i = close
                else:
                    # An enum body or a braced initializer: part of the statement.
                    close = _match(tokens, i, "{", "}")
                    stmt.append(Token("{}", t.line, "punct"))
                    i = close
        else:
            if text in ("(", "["):
                depth += 1
            elif text in (")", "]"):
                depth -= 1
            stmt.append(t)
        i += 1
    return functions


# ---------------------------------------------------------------------------------------------
# The check

@dataclass
class Entry:
    path: str
    name: str
    reason: str
    line: int


def read_allowlist(path: Path, root: Path):
    entries = []
    errors = []
    if not path.is_file():
        return entries, [f"{path}: the allowlist does not exist"]
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("|", 2)]
        where = f"{path.name}:{lineno}"
        if len(fields) != 3 or not all(fields):
            errors.append(f"{where}: expected 'path | function | reason', got: {line}")
            continue
        file, name, reason = fields
        if reason.startswith("hot:"):
            bench = re.search(r"\bbench/[\w/]+\.cpp\b", reason)
            if bench is None:
                errors.append(f"{where}: a 'hot:' reason names the benchmark that shows it "
                              f"(its bench/<file>.cpp and the benchmark's name): {reason}")
                continue
            if not (root / bench.group(0)).is_file():
                errors.append(f"{where}: {bench.group(0)} named as the benchmark does not exist")
                continue
        elif not (reason.startswith("for now:") and len(reason) > len("for now:") + 10):
            errors.append(f"{where}: the reason starts 'hot: bench/<file>.cpp <benchmark>: why' "
                          f"or 'for now: why' (and says why): {reason}")
            continue
        entries.append(Entry(file, name, reason, lineno))
    return entries, errors


def scan(root: Path):
    found = []  # (relative path, Function)
    files = 0
    for folder in FOLDERS:
        base = root / folder
        if not base.is_dir():
            continue
        for src in sorted(base.rglob("*")):
            if src.suffix not in SOURCE_SUFFIXES or not src.is_file():
                continue
            files += 1
            rel = src.relative_to(root).as_posix()
            text = src.read_text(encoding="utf-8", errors="replace")
            for fn in find_functions(text):
                found.append((rel, fn))
    return files, found


def main():
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=here.parent,
                        help="repository root to check (default: this script's repository)")
    parser.add_argument("--allowlist", type=Path, default=None,
                        help="allowlist file (default: ROOT/scripts/long_functions.txt)")
    parser.add_argument("--max-lines", type=int, default=DEFAULT_MAX_LINES,
                        help=f"longest allowed function in lines (default {DEFAULT_MAX_LINES})")
    parser.add_argument("--all", action="store_true",
                        help="print every function found with its lines, then check")
    args = parser.parse_args()
    root = args.root.resolve()
    allowlist = args.allowlist or root / "scripts" / "long_functions.txt"
    if not any((root / f).is_dir() for f in FOLDERS):
        print(f"check_function_length: {root} has none of {', '.join(FOLDERS)}", file=sys.stderr)
        return 2
    entries, errors = read_allowlist(allowlist, root)
    if errors:
        for e in errors:
            print(e, file=sys.stderr)
        return 2

    files, found = scan(root)
    if args.all:
        for rel, fn in found:
            print(f"{rel}:{fn.start}: {fn.name} {fn.length} lines ({fn.start}-{fn.end})")
    allowed = {(e.path, e.name): e for e in entries}
    long_ones = [(rel, fn) for rel, fn in found if fn.length > args.max_lines]
    problems = 0
    print(f"Functions over {args.max_lines} lines:")
    for rel, fn in sorted(long_ones, key=lambda x: -x[1].length):
        entry = allowed.get((rel, fn.name))
        if entry:
            print(f"  {rel}:{fn.start}: {fn.name} is {fn.length} lines ({fn.start}-{fn.end}), "
                  f"allowlisted ({allowlist.name}:{entry.line})")
        else:
            problems += 1
            print(f"  {rel}:{fn.start}: {fn.name} is {fn.length} lines ({fn.start}-{fn.end}), "
                  f"over {args.max_lines} and NOT in {allowlist.name}: split it "
                  f"(or allowlist it with a reason)")
    long_keys = {(rel, fn.name) for rel, fn in long_ones}
    all_keys = {(rel, fn.name): fn for rel, fn in found}
    for e in entries:
        if (e.path, e.name) in long_keys:
            continue
        problems += 1
        fn = all_keys.get((e.path, e.name))
        if fn is None:
            why = f"{e.path} has no function {e.name}"
        else:
            why = f"{e.name} is {fn.length} lines now, no longer over {args.max_lines}"
        print(f"  {allowlist.name}:{e.line}: stale entry '{e.path} | {e.name}': {why}; "
              f"remove the line")
    if problems:
        print(f"check_function_length: {problems} problem(s); {len(long_ones)} function(s) over "
              f"{args.max_lines} lines in {files} files, {len(entries)} allowlisted")
        return 1
    print(f"check_function_length: ok, {len(long_ones)} function(s) over {args.max_lines} lines "
          f"in {files} files, each allowlisted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
