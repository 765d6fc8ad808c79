"""The architecture, held: no import cycles and no oversized module in the product.

import-linter (`.ci/run`, contracts in pyproject.toml) holds which package may
import which; these tests hold what its contracts cannot say: that no module of
the product imports itself back through others, and that no module outgrows
what one reader can hold (400 lines).
"""

from __future__ import annotations

import re
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("engine", "storage", "service", "workflows")
MAX_LINES = 400


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(graph.find_modules_directly_imported_by(module) & modules):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_of_the_product_or_the_demo_imports_itself_back() -> None:
    packages = (*PRODUCT, "demo")
    graph = grimp.build_graph(*packages, cache_dir=None)
    modules = {m for m in graph.modules if m.split(".")[0] in packages}
    assert _cycles(graph, modules) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check above can fail: a graph with a loop in it is caught."""
    graph = grimp.ImportGraph()
    for name in ("a", "a.b", "a.c", "a.d"):
        graph.add_module(name)
    graph.add_import(importer="a.b", imported="a.c")
    graph.add_import(importer="a.c", imported="a.b")
    graph.add_import(importer="a.d", imported="a.b")
    assert _cycles(graph, {"a.b", "a.c", "a.d"}) == [["a.b", "a.c"]]


@pytest.mark.parametrize("package", PRODUCT)
def test_no_module_of_the_product_is_over_400_lines(package: str) -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in sorted((ROOT / package).rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def _architecture_tree() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Architecture\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```\n", 2)[1]


def test_the_readme_architecture_names_every_package_and_only_real_ones() -> None:
    tree = _architecture_tree()
    packages = {
        path.parent.relative_to(ROOT)
        for top in (*PRODUCT, "demo", "bench")
        for path in (ROOT / top).rglob("__init__.py")
    }
    missing = sorted(str(p) for p in packages if f"{p.name}/" not in tree)
    assert missing == []
    listed = re.findall(r"^ *([a-z_]+)/", tree, flags=re.MULTILINE)
    folders = {p.name for p in ROOT.rglob("*") if p.is_dir() and ".venv" not in p.parts}
    assert sorted(set(listed) - folders) == []
