#!/usr/bin/env python3
"""Finds import cycles between the modules of each workspace crate.

A module is a source file (`src/a/b.rs` or `src/a/b/mod.rs` is `a::b`). An
edge `m -> n` is a path in `m` that names `crate::n...` or `super::...`
resolving to module `n` (the longest known module prefix of the path).
An edge from a module to its own ancestor or descendant is not counted
(a parent declares its children; a child's `super::` is its own family).
Prints every strongly connected set of two or more modules and exits 1
if there is any. Usage: tools/module_cycles.py [crates/<name> ...]
"""
import re
import sys
from pathlib import Path

PATH = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
GROUP = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*?)\}", re.S)


def module_of(src: Path, file: Path) -> tuple:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("lib", "main", "mod"):
        parts = parts[:-1]
    return tuple(parts)


def strip_comments(text: str) -> str:
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def paths_in(text: str):
    for m in GROUP.finditer(text):
        base = m.group(2)
        for item in m.group(3).split(","):
            item = item.strip().split(" as ")[0].split("::{")[0].strip()
            if item and item not in ("self", "*"):
                yield m.group(1), (base + "::" + item).split("::")[1:]
            elif item == "self":
                yield m.group(1), base.split("::")[1:]
    for m in PATH.finditer(text):
        yield m.group(1), m.group(2).split("::")[1:]


def resolve(known, here, root, segments):
    path = list(here[:-1]) if root == "super" else []
    while root == "super" and segments and segments[0] == "super":
        path = path[:-1]
        segments = segments[1:]
    full = path + segments
    for n in range(len(full), -1, -1):
        if tuple(full[:n]) in known:
            return tuple(full[:n])
    return ()


def related(a, b):
    return a[: len(b)] == b or b[: len(a)] == a


def cycles(crate: Path):
    src = crate / "src"
    files = {module_of(src, f): f for f in src.rglob("*.rs") if "bin" not in f.relative_to(src).parts}
    known = set(files)
    graph = {m: set() for m in known}
    for module, file in files.items():
        text = strip_comments(file.read_text())
        # Unit tests are part of their module and may reach anywhere.
        text = text.split("#[cfg(test)]")[0]
        for root, segments in paths_in(text):
            target = resolve(known, module, root, segments)
            if not related(module, target):
                graph[module].add(target)
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                out.append(sorted("::".join(m) or "(root)" for m in scc))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    root = Path(__file__).resolve().parent.parent
    crates = [Path(a) for a in sys.argv[1:]] or sorted(p for p in (root / "crates").iterdir() if (p / "src").is_dir())
    found = False
    for crate in crates:
        for scc in cycles(crate):
            found = True
            print(f"{crate.name}: import cycle among {', '.join(scc)}")
    if not found:
        print(f"no import cycle in {len(crates)} crates")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
