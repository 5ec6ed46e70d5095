"""The code's layout rules, read from the source with ``ast`` (DEVELOPERS.md "Layers").

Imports point down the layers; ``urls.py`` files import at the top; row locks
go through one module; services read top-down in short functions. Test code
is exempt from the import rules (it may import anything).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # the storekeep package
APPS = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists())
MAX_FUNCTION_LINES = 60


@dataclass(frozen=True)
class Import:
    module: str  # importing module, dotted
    target: str  # imported module (or module.name), dotted
    line: int
    top_level: bool  # a statement of the module body, not inside a function or class


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _source_files() -> list[Path]:
    return [
        p
        for p in ROOT.rglob("*.py")
        if "tests" not in p.parts and "migrations" not in p.parts and p.parts[-2] != "testing"
    ]


def _imports_of(path: Path) -> list[Import]:
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(), filename=str(path))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            targets = [f"{source}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [Import(module, t, node.lineno, id(node) in top) for t in targets]
    return found


@cache
def all_imports() -> tuple[Import, ...]:
    return tuple(i for path in _source_files() for i in _imports_of(path))


def _app(dotted: str) -> str | None:
    parts = dotted.split(".")
    return parts[1] if parts[0] == "storekeep" and len(parts) > 1 else None


def _violations(*, importer: set[str], imported: set[str]) -> list[str]:
    return [
        f"{i.module}:{i.line} imports {i.target}"
        for i in all_imports()
        if _app(i.module) in importer and _app(i.target) in imported
    ]


def test_core_imports_no_app():
    assert _violations(importer={"core"}, imported=set(APPS) - {"core"}) == []


def test_tenants_and_catalog_import_nothing_from_inventory():
    assert _violations(importer={"tenants", "catalog"}, imported={"inventory"}) == []


def test_inventory_and_purchasing_have_no_cycle():
    assert _violations(importer={"inventory"}, imported={"purchasing"}) == []


def test_no_app_imports_another_apps_api():
    """``storekeep.core.api`` is the shared API toolkit every app may use."""
    wrong = [
        f"{i.module}:{i.line} imports {i.target}"
        for i in all_imports()
        if _app(i.target) not in (None, "core", _app(i.module))
        and i.target.split(".")[2:3] == ["api"]
    ]
    assert wrong == []


def _module_graph(prefix: str) -> dict[str, set[str]]:
    modules = {_module_name(p) for p in _source_files()}
    graph: dict[str, set[str]] = {m: set() for m in modules if m.startswith(prefix)}
    for i in all_imports():
        if i.module not in graph:
            continue
        target = i.target
        while target and target not in modules:  # ``from pkg import name`` → ``pkg``
            target = target.rpartition(".")[0]
        if target and target.startswith(prefix) and target != i.module:
            graph[i.module].add(target)
    return graph


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), list(graph.get(start, ()))
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo += graph.get(node, ())
    return False


def test_inventory_services_have_no_cycle_through_tasks():
    graph = _module_graph("storekeep.inventory")
    services = [m for m in graph if m.startswith("storekeep.inventory.services")]
    back = [m for m in services if _reaches(graph, "storekeep.inventory.tasks", m)]
    assert back, "the tasks call the services"
    assert [m for m in services if _reaches(graph, m, "storekeep.inventory.tasks")] == []


@pytest.mark.parametrize(
    "path", sorted(ROOT.rglob("urls.py")) + [ROOT.parent / "config" / "urls.py"], ids=str
)
def test_urls_modules_import_at_the_top(path):
    tree = ast.parse(path.read_text())
    body = tree.body[1:] if ast.get_docstring(tree) else tree.body
    kinds = [isinstance(node, (ast.Import, ast.ImportFrom)) for node in body]
    first_other = kinds.index(False) if False in kinds else len(kinds)
    late = [
        node.lineno for node in body[first_other:] if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    nested = [
        node.lineno
        for stmt in body
        if not isinstance(stmt, ast.Import | ast.ImportFrom)
        for node in ast.walk(stmt)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert (late, nested) == ([], [])


def test_select_for_update_appears_in_one_module():
    users = sorted(
        _module_name(p) for p in _source_files() if "select_for_update(" in p.read_text()
    )
    assert users == ["storekeep.core.db"]


def test_api_decimals_are_read_by_the_one_number_rule():
    """Serializers declare decimals with ``core.serializers.DecimalField`` and subclass
    ``core.serializers.ModelSerializer``: ASCII digits, no padding, no negative zero (issue 9)."""
    users = sorted(
        _module_name(p)
        for p in _source_files()
        if "serializers.DecimalField(" in p.read_text()
        or "(serializers.ModelSerializer)" in p.read_text()
    )
    assert users == ["storekeep.core.serializers"]


def test_the_import_scan_sees_imports():
    """Guards the rules above against a scanner that finds nothing."""
    seen = {(i.module, i.target) for i in all_imports()}
    assert ("storekeep.inventory.tasks", "storekeep.inventory.alerts.low_stock_alerts") in seen
    assert any(
        i.module == "storekeep.inventory.hooks"
        and i.target.startswith("storekeep.inventory.models")
        for i in all_imports()
    )


def test_core_permissions_default_roles_are_tenant_roles():
    from storekeep.core.permissions import DEFAULT_READ_ROLE, DEFAULT_WRITE_ROLE
    from storekeep.tenants.models import Role

    assert (DEFAULT_READ_ROLE, DEFAULT_WRITE_ROLE) == (Role.VIEWER, Role.MANAGER)


def _long_functions(paths) -> list[str]:
    found = []
    for path in sorted(paths):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{path.stem}.{node.name}: {length} lines")
    return found


@pytest.mark.parametrize("package", ["inventory/services", "pos/services"])
def test_service_functions_are_at_most_60_lines(package):
    """A function from ``def`` to its last line, docstring and nested functions included."""
    assert _long_functions((ROOT / package).rglob("*.py")) == []


def test_the_length_scan_sees_a_long_function(tmp_path):
    body = "".join(f"    x{n} = {n}\n" for n in range(MAX_FUNCTION_LINES))
    (tmp_path / "long.py").write_text(f"def short():\n    pass\n\n\ndef long():\n{body}")
    assert _long_functions([tmp_path / "long.py"]) == ["long.long: 61 lines"]
