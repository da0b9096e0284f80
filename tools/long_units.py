#!/usr/bin/env python3
"""Lists functions over 80 lines and source files over 600 lines (tests
excluded: `#[cfg(test)]` modules and `tests/`, `benches/`). A report for
review, not a gate: the engine's RFC 6265bis §5.6/§5.7 algorithms stay whole.
Usage: tools/long_units.py [--functions N] [--files N]"""
import re
import sys
from pathlib import Path

FN = re.compile(r"^(\s*)(pub(\([a-z]+\))? )?(async )?(const )?fn ([a-z_0-9]+)")


def main():
    args = sys.argv[1:]
    fn_limit = int(args[args.index("--functions") + 1]) if "--functions" in args else 80
    file_limit = int(args[args.index("--files") + 1]) if "--files" in args else 600
    root = Path(__file__).resolve().parent.parent
    for file in sorted((root / "crates").glob("*/src/**/*.rs")):
        lines = file.read_text().split("\n")
        end = next((i for i, l in enumerate(lines) if l.startswith("#[cfg(test)]")), len(lines))
        rel = file.relative_to(root)
        if end > file_limit:
            print(f"{rel}: {end} lines")
        i = 0
        while i < end:
            m = FN.match(lines[i])
            # A signature ends at its body's `{` or, in a trait, at `;`.
            k = i
            while m and k < end and not lines[k].rstrip().endswith(("{", ";")):
                k += 1
            if m and k < end and lines[k].rstrip().endswith("{"):
                indent = m.group(1)
                j = i + 1
                while j < end and lines[j] != indent + "}":
                    j += 1
                if j - i + 1 > fn_limit:
                    print(f"{rel}:{i + 1}: fn {m.group(6)}: {j - i + 1} lines")
                i = j
            i += 1


if __name__ == "__main__":
    main()
