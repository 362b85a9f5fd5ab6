"""The areas' layers, read from the source: who imports whom (imports inside functions count).

- No import cycle between services modules (`portal/<area>/services.py`, `*_services.py`).
- Member-side areas (trials, opinions, gaps) never import triage: they send
  `signals.submission_received`.
- Triage never imports the member-side areas' services (their models are fine); improvements
  never imports triage's services (it sends `signals.item_changed`).
- The audit log, a low layer, imports no area that records into it.
"""
from __future__ import annotations

import ast
from pathlib import Path

PORTAL = Path(__file__).resolve().parent.parent / "portal"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PORTAL.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PORTAL.rglob("*.py")}


def _imports(name: str) -> set[str]:
    """The portal modules `name` imports, at module level or inside functions. `from pkg import
    mod` names the module `pkg.mod`; `from mod import thing` names `mod`."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in MODULES else base)
    return {m for m in found if m in MODULES}


GRAPH = {name: _imports(name) for name in MODULES}


def _is_services(name: str) -> bool:
    return name.rpartition(".")[2].endswith("services")


def _area(name: str) -> str:
    return name.split(".")[1] if name.count(".") >= 1 else ""


def _cycles(nodes: set[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in nodes:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return found


def test_the_import_reader_sees_function_level_imports():
    assert "portal.improvements.services" in GRAPH["portal.triage.services"]
    assert "portal.accounts.models" in GRAPH["portal.audit.history"]  # imported inside user_names


def test_no_import_cycle_between_services_modules():
    services = {name for name in MODULES if _is_services(name)}
    edges = {name: {m for m in GRAPH[name] if m in services} for name in services}
    assert _cycles(services, edges) == []


def test_member_side_areas_never_import_triage():
    offenders = sorted(
        f"{name} -> {target}"
        for name in MODULES if _area(name) in ("trials", "opinions", "gaps")
        for target in GRAPH[name] if _area(target) == "triage"
    )
    assert offenders == []


def test_triage_never_imports_member_side_services():
    offenders = sorted(
        f"{name} -> {target}"
        for name in MODULES if _area(name) == "triage"
        for target in GRAPH[name] if _area(target) in ("trials", "opinions", "gaps") and _is_services(target)
    )
    assert offenders == []


def test_improvements_never_imports_triage_services():
    offenders = sorted(
        f"{name} -> {target}"
        for name in MODULES if _area(name) == "improvements" and _is_services(name)
        for target in GRAPH[name] if target == "portal.triage.services"
    )
    assert offenders == []


def test_the_audit_log_imports_no_area_that_records_into_it():
    # i18n: the language and the one date/time format, a low layer like text; fields: the shared
    # form fields, built on i18n only.
    allowed = {"audit", "accounts", "db", "domain", "permissions", "errors", "text", "signals", "i18n",
               "fields"}
    offenders = sorted(
        f"{name} -> {target}"
        for name in MODULES if _area(name) == "audit"
        for target in GRAPH[name] if _area(target) not in allowed
    )
    assert offenders == []
