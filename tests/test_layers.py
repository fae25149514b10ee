"""The layer rule of architecture.md, checked on the imports of every module in aos/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "aos"

# (importing package prefix, forbidden imported prefix, why)
FORBIDDEN = [
    ("aos.repl", "aos.node", "the shell reaches the node only over the ao HTTP protocol"),
    ("aos.node", "aos.repl", "the node knows nothing of the shell"),
    ("aos.node", "aos.render", "the node knows nothing of the shell"),
    ("aos.node", "aos.client", "the node speaks the protocol, it does not call itself"),
    ("aos.client", "aos.node", "the client works against any ao units"),
    ("aos.client", "aos.repl", "the client is below the shell"),
    ("aos.render", "aos.node", "rendering works on results, not on the node"),
    ("aos.dataitem", "aos.wallet", "dataitem defines the Signer protocol; wallet satisfies it"),
    ("aos.runtime", "aos.node", "the runtime evaluates one process; it knows no node"),
]
LEAVES = ("aos.errors", "aos.protocol", "aos.luafiles", "aos.log.resulthash")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_module_respects_the_layers(path: Path) -> None:
    module = _module_name(path)
    imported = _imports(path)
    for importer, forbidden, why in FORBIDDEN:
        if _under(module, importer):
            bad = sorted(name for name in imported if _under(name, forbidden))
            assert not bad, f"{module} imports {bad}: {why}"


def test_only_the_runtime_imports_lupa() -> None:
    offenders = [
        _module_name(path)
        for path in MODULES
        if any(_under(name, "lupa") for name in _imports(path))
        and not _under(_module_name(path), "aos.runtime")
    ]
    assert offenders == []


@pytest.mark.parametrize("leaf", LEAVES)
def test_leaf_modules_import_nothing_from_aos(leaf: str) -> None:
    path = PACKAGE / (leaf.split(".", 1)[1] + ".py")
    if not path.exists():
        pytest.skip(f"{leaf} does not exist yet")
    assert not [name for name in _imports(path) if _under(name, "aos")]
