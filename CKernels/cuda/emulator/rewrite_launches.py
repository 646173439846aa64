#!/usr/bin/env python3
# rewrite_launches.py (emulator): copies a .cu file with each `kernel<<<grid, block[, shared[, stream]]>>>(args)`
# turned into `::dlp_emu::launch("kernel", kernel, grid, block, shared, stream, args)`, the one piece of
# CUDA syntax a C++ compiler cannot read. Line breaks are kept, so compiler messages point at the source.
#   rewrite_launches.py IN.cu OUT.cpp
import sys


def matching(text, start, opening, closing, step):
    """Index of the bracket that closes the one at start (scanning by step: +1 forward, -1 backward)."""
    depth = 0
    i = start
    while 0 <= i < len(text):
        if text[i] == opening:
            depth += 1
        elif text[i] == closing:
            depth -= 1
            if depth == 0:
                return i
        i += step
    raise SystemExit(f"unbalanced {opening}{closing} at offset {start}")


def split_top_level(text):
    """text split at its commas outside brackets ((), [], {})."""
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    return parts


def rewrite(source, name):
    out, position = [], 0
    while True:
        at = source.find("<<<", position)
        if at < 0:
            out.append(source[position:])
            return "".join(out)
        # the kernel expression: an identifier, optionally followed by <template arguments>
        end = at
        start = end
        if source[start - 1] == ">":
            start = matching(source, start - 1, ">", "<", -1)
        while start > 0 and (source[start - 1].isalnum() or source[start - 1] in "_:"):
            start -= 1
        kernel = source[start:end].strip()
        close = source.find(">>>", at)
        config = split_top_level(source[at + 3:close])
        if not 2 <= len(config) <= 4:
            raise SystemExit(f"{name}: a launch of {kernel} with {len(config)} configuration values")
        config += ["0"] * (4 - len(config))
        paren = close + 3
        while source[paren].isspace():
            paren += 1
        if source[paren] != "(":
            raise SystemExit(f"{name}: no arguments after the launch of {kernel}")
        args_end = matching(source, paren, "(", ")", 1)
        args = source[paren + 1:args_end]
        out.append(source[position:start])
        quoted = " ".join(kernel.split())
        out.append(f'::dlp_emu::launch("{quoted}", {kernel}, {", ".join(config)}, {args})')
        position = args_end + 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: rewrite_launches.py IN.cu OUT.cpp")
    with open(sys.argv[1]) as f:
        text = f.read()
    with open(sys.argv[2], "w") as f:
        f.write(f'#line 1 "{sys.argv[1]}"\n' + rewrite(text, sys.argv[1]))
