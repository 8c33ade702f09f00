#!/usr/bin/env python3
"""Fails when modules of a crate import each other in a circle (ARCHITECTURE.md: imports go one way).

A module is a file under `src/` (a folder's `mod.rs` is the folder). An import is any `crate::a::b`,
`super::x` or `self::x` path outside `#[cfg(test)]` (in `use` lines or inline), resolved to the deepest
module file that exists. A parent declaring or re-exporting its children (`mod x; pub use x::T;`) is not an
import, so children may use items their parent defines (`super::Error`).
Usage: scripts/module_cycles.py CRATE_SRC_DIR...
"""
import re
import sys
from pathlib import Path

PATH = re.compile(r"\b(crate|super|self)((?:::[a-z_][a-z0-9_]*)+)")


def module_of(src: Path, file: Path) -> tuple:
    rel = file.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def exists(src: Path, module: tuple) -> bool:
    if not module:
        return True
    base = src.joinpath(*module)
    return base.with_suffix(".rs").exists() or (base / "mod.rs").exists()


def strip_tests(text: str) -> str:
    # Test modules may import anything from their parent; they are not part of the layering.
    cut = text.find("#[cfg(test)]")
    return text if cut < 0 else text[:cut]


def edges(src: Path):
    graph = {}
    for file in sorted(src.rglob("*.rs")):
        if "bin" in file.relative_to(src).parts:
            continue
        me = module_of(src, file)
        deps = graph.setdefault(me, set())
        text = re.sub(r"//[^\n]*", "", strip_tests(file.read_text()))
        # Expand `use x::{a, b::c}` groups one level, enough for this codebase's imports.
        for m in re.finditer(r"\b((?:crate|super|self)(?:::[a-z_][a-z0-9_]*)*)::\{([^}]*)\}", text):
            for item in m.group(2).split(","):
                item = item.strip().split(" as ")[0]
                if item and re.match(r"[a-z_]", item):
                    text += f"\n{m.group(1)}::{item}"
        for m in PATH.finditer(text):
            root, rest = m.group(1), [p for p in m.group(2).split("::") if p]
            if root == "crate":
                base = ()
            elif root == "super":
                base = me[:-1]
                while rest and rest[0] == "super":
                    base, rest = base[:-1], rest[1:]
            else:
                base = me
            target = base
            for part in rest:
                if exists(src, target + (part,)):
                    target = target + (part,)
                else:
                    break
            if target != me and target[: len(me)] != me:
                deps.add(target)
    return graph


def circles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def main() -> int:
    bad = 0
    for arg in sys.argv[1:]:
        src = Path(arg)
        graph = edges(src)
        found = circles(graph)
        for component in found:
            names = ", ".join("::".join(m) or "crate" for m in component)
            print(f"{src}: these modules import each other in a circle: {names}")
        bad += len(found)
        print(f"{src}: {len(graph)} modules, {sum(len(d) for d in graph.values())} imports, {len(found)} circles")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
