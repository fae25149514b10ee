"""The layer rules of docs/architecture.md, read from its table and checked on every module.

The table is the allow-list: a module may import from aos only what its row allows, every
module must belong to a row, and relative imports are refused outright. The checker is
also run on planted modules, so that a rule that stopped biting would be seen.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "aos"
ARCHITECTURE = ROOT / "docs" / "architecture.md"


@dataclass(frozen=True)
class Layer:
    names: tuple[str, ...]
    allowed: frozenset[str] | None  # None: anything except `excluded`
    excluded: frozenset[str] = frozenset()


def read_layers(text: str) -> list[Layer]:
    """The rows of the table under `## Layers`."""
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert rows, "docs/architecture.md has no layer table under ## Layers"
    leaves = tuple(re.findall(r"`([^`]+)`", rows[0].split("|")[1]))
    layers = []
    for row in rows:
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        assert len(cells) == 3, f"a layer row needs three cells: {row}"
        names = tuple(re.findall(r"`([^`]+)`", cells[0]))
        rule = cells[2]
        mentioned = frozenset(re.findall(r"`([^`]+)`", rule))
        if rule.startswith("anything except"):
            layers.append(Layer(names, None, mentioned))
            continue
        allowed = set(mentioned)
        if re.search(r"\bleaves\b", rule):
            allowed.update(leaves)
        elif not rule.startswith("nothing of aos"):
            assert mentioned, f"cannot read the rule {rule!r}"
        layers.append(Layer(names, frozenset(allowed)))
    return layers


LAYERS = read_layers(ARCHITECTURE.read_text(encoding="utf-8"))
ALL_NAMES = [name for layer in LAYERS for name in layer.names]


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _covers(row_name: str, module: str) -> bool:
    """A row covers its package's modules, unless other rows split that package (then only
    the package's own __init__)."""
    if module == row_name:
        return True
    splits = any(other != row_name and _under(other, row_name) for other in ALL_NAMES)
    return not splits and _under(module, row_name)


def layer_of(module: str) -> tuple[str, Layer] | None:
    best: tuple[str, Layer] | None = None
    for layer in LAYERS:
        for name in layer.names:
            if _covers(name, module) and (best is None or len(name) > len(best[0])):
                best = (name, layer)
    return best


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


KNOWN = {module_name(p) for p in PACKAGE.rglob("*.py")}


def _resolve(name: str) -> str:
    """The aos module an imported name lives in (`aos.log.records.Item` → aos.log.records)."""
    while name not in KNOWN and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def violations(module: str, source: str) -> list[str]:
    """Every import of `source` (the text of `module`) that the table does not allow."""
    found = layer_of(module)
    if found is None:
        return [f"{module} belongs to no row of the layer table in docs/architecture.md"]
    own, layer = found
    problems: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            problems.append(f"{module}:{node.lineno} uses a relative import; write it in full")
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        else:
            continue
        for name in names:
            if _under(name, "lupa") and not _under(module, "aos.runtime"):
                problems.append(f"{module}:{node.lineno} imports lupa (only aos.runtime may)")
            if not _under(name, "aos"):
                continue
            target = _resolve(name)
            target_layer = layer_of(target)
            if target_layer is None:
                continue  # not a module of aos: mypy's business
            if target_layer[1] is layer and layer.allowed != frozenset():
                continue  # within its own layer (a leaf imports nothing, not even a leaf)
            if layer.allowed is None:
                ok = not any(_under(target, ex) for ex in layer.excluded)
            else:
                ok = any(_covers(allowed, target) for allowed in layer.allowed)
            if not ok:
                problems.append(
                    f"{module}:{node.lineno} imports {target}, which the row of {own} in"
                    " docs/architecture.md does not allow"
                )
    return sorted(set(problems))


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_respects_the_layers(path: Path) -> None:
    assert violations(module_name(path), path.read_text(encoding="utf-8")) == []


def test_every_row_of_the_table_names_modules_that_exist() -> None:
    missing = [name for name in ALL_NAMES if not any(_under(m, name) for m in KNOWN)]
    assert missing == [], f"docs/architecture.md names modules that do not exist: {missing}"


def test_no_module_of_the_node_sits_outside_a_sub_package() -> None:
    loose = sorted(p.name for p in (PACKAGE / "node").glob("*.py") if p.name != "__init__.py")
    assert loose == []
    for package in sorted(p for p in (PACKAGE / "node").iterdir() if p.is_dir()):
        if package.name == "__pycache__":
            continue
        init = package / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert "run" in doc.lower(), f"{init} must say when its code runs"


# -- the checker bites -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("aos.verify.planted", "from aos.node.store import Store\n", "aos.node.store"),
        ("aos.verify.planted", "import aos.node.units.cu\n", "aos.node.units.cu"),
        ("aos.repl.planted", "from aos.node.http.embedded import open_embedded\n", "embedded"),
        ("aos.log.planted", "from aos.node.units import node\n", "aos.node.units"),
        ("aos.node.store.planted", "from aos.node.units.cu import ComputeUnit\n", "cu"),
        ("aos.node.http.planted", "from aos.node.serve.sequencer import x\n", "sequencer"),
        ("aos.errors", "from aos.protocol import VARIANT\n", "aos.protocol"),
        ("aos.client.planted", "import lupa\n", "lupa"),
        ("aos.client.planted", "from . import ao\n", "relative import"),
        ("aos.node.units.planted", "from ..store import Store\n", "relative import"),
        ("aos.newthing", "", "belongs to no row"),
        ("aos.node.loose", "", "belongs to no row"),
    ],
)
def test_a_planted_import_is_refused(module: str, source: str, expected: str) -> None:
    problems = violations(module, source)
    assert problems and any(expected in p for p in problems), problems


def test_allowed_imports_pass_the_checker() -> None:
    assert violations("aos.verify.planted", "from aos.log.records import Item\n") == []
    assert violations("aos.node.http.planted", "from aos.node.units.node import Node\n") == []
    assert violations("aos.commands.planted", "from aos.node.serve import worker\n") == []


# -- the tests' own rule -----------------------------------------------------------------
TEST_MODULES = sorted(p for p in (ROOT / "tests").rglob("*.py") if "node_modules" not in p.parts)


def _is_test_module(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last == "conftest" or last.startswith("test_")


@pytest.mark.parametrize("path", TEST_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_test_file_imports_a_test_module_or_a_conftest(path: Path) -> None:
    """Helpers live in helper modules (tests/support/, or a suite's own, like
    tests/differential/harness.py) and fixtures in conftest.py; no file imports a test
    module or a conftest (their names are not an API), and none imports relatively."""
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level > 0:
                bad.append(f"line {node.lineno}: relative import")
            names = [node.module] if node.module else []
        else:
            continue
        bad += [
            f"line {node.lineno}: imports {name}"
            for name in names
            if _under(name, "tests") and _is_test_module(name)
        ]
    assert bad == []
