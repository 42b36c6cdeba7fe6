"""The house rules that keep the code's arrows pointing one way, checked on the source:
``core/`` imports no domain, no module imports another in a circle, and only the request
(``core/requests.py``) and the commands commit — a view or API handler that commits again
fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "fundtrack"
#: what ``core/`` may import of fundtrack: itself and the unbound extensions
CORE_MAY_IMPORT = ("fundtrack.core", "fundtrack.extensions", "fundtrack.config")
#: where a transaction may be committed: the request's one place, the commands, the demo
MAY_COMMIT = {"core/requests.py", "cli.py", "demo.py"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imported(node) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return []


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    return {
        resolved
        for node in nodes
        for name in _imported(node)
        if name.startswith("fundtrack") and (resolved := _resolve(name))
    }


@pytest.mark.parametrize(
    "module", sorted(m for m in MODULES if m.startswith("fundtrack.core")), ids=str
)
def test_core_imports_no_domain(module):
    domains = {
        name
        for name in _imports(MODULES[module], top_level_only=False)
        if not name.startswith(CORE_MAY_IMPORT)
    }
    assert not domains, f"{module} imports {sorted(domains)}: let the domain register it instead"


def test_no_module_imports_another_in_a_circle():
    graph = {m: _imports(p, top_level_only=True) - {m} for m, p in MODULES.items()}
    circles, state = [], {}

    def visit(module, path):
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not circles, "import circles:\n" + "\n".join(" → ".join(c) for c in circles)


def _commits(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
    ]


def test_only_the_request_and_the_commands_commit():
    found = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if str(path.relative_to(PACKAGE)) not in MAY_COMMIT and (lines := _commits(path))
    }
    assert not found, f"commits outside core/requests.py and the commands: {found}"


def test_the_checks_see_what_they_look_for():
    """The walks above are not empty: they find core's modules, the edges and the commits."""
    assert "fundtrack.core.requests" in MODULES
    assert "fundtrack.core.versioning" in _imports(MODULES["fundtrack.extensions"], True)
    assert _commits(PACKAGE / "core" / "requests.py")


def _server_calendar_calls(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        name = owner.id if isinstance(owner, ast.Name) else None
        if (name, node.func.attr) == ("date", "today") or (
            (name, node.func.attr) == ("datetime", "now") and not node.args and not node.keywords
        ):
            found.append(node.lineno)
    return found


def test_business_dates_are_those_of_shanghai_not_of_the_server():
    """``date.today()`` and a naive ``datetime.now()`` read the server's calendar; a business
    date is ``core.timeparse.local_today()`` (Asia/Shanghai) whatever the server's zone."""
    found = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := _server_calendar_calls(path))
    }
    assert not found, found
