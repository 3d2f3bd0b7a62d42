"""The layout's rules, read from the source with ast: which part may import which, where SQL runs.

web/ and cli.py  ->  board/  ->  data layer (db, models, migrations, text, config)
The bench seeding (benchseed/) sits beside board/ and is called only by cli.py.
"""

import ast
from pathlib import Path

import pytest

from ideaboard.models import ALL_MODELS

PACKAGE = Path(__file__).resolve().parents[1] / "ideaboard"
DATA_LAYER = {"ideaboard.config", "ideaboard.db", "ideaboard.models", "ideaboard.migrations"}
DATA_LAYER |= {"ideaboard.text", "ideaboard.mailer", "ideaboard.ratelimit_store"}
DATA_LAYER |= {"ideaboard.webhook_http"}
WEB_FRAMEWORK = ("flask", "flask_login", "flask_wtf", "flask_limiter", "wtforms", "werkzeug")
# Where SQL may be written or run; everywhere else asks board/ for what it needs.
SQL_ALLOWED = ("ideaboard.board.", "ideaboard.benchseed.")
SQL_ALLOWED_MODULES = DATA_LAYER
SQL_WORDS = ("SELECT ", "INSERT ", "UPDATE ", "DELETE ", "CREATE ", "ALTER ", "DROP ", "PRAGMA ")
QUERY_METHODS = {
    "select",
    "create",
    "update",
    "delete",
    "insert",
    "insert_many",
    "get",
    "get_or_none",
    "get_by_id",
    "delete_by_id",
    "raw",
}
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(), str(path)) for name, path in MODULES.items()}
# The tables and the schema versions are packages: every module in them is data layer.
DATA_LAYER |= {n for n in MODULES if n.startswith(("ideaboard.models.", "ideaboard.migrations."))}


def imported_names(name: str) -> set[str]:
    """Every module this one imports, anywhere in it (inside functions too)."""
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(TREES[name]):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # `from ideaboard.web import auth` imports the module ideaboard.web.auth.
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def internal_imports(name: str) -> set[str]:
    return {other for other in imported_names(name) if other in MODULES and other != name}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle in the graph, as the list of modules around it, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def graph() -> dict[str, set[str]]:
    # A package's __init__ is not counted as imported by its own submodules: Python runs it
    # first, but only what a module names is an arrow of the design.
    return {name: internal_imports(name) for name in MODULES}


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_imports_inside_functions_are_seen():
    tree = ast.parse("def f():\n    from ideaboard.web import ideas\n")
    TREES["ideaboard.models"], saved = tree, TREES["ideaboard.models"]
    try:
        assert "ideaboard.web.ideas" in internal_imports("ideaboard.models")
    finally:
        TREES["ideaboard.models"] = saved


def test_no_import_circle():
    assert find_cycle(graph()) is None, " -> ".join(find_cycle(graph()))


def layer_of(name: str) -> str:
    for prefix in ("ideaboard.board", "ideaboard.web", "ideaboard.benchseed"):
        if name == prefix or name.startswith(prefix + "."):
            return prefix
    return name


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("ideaboard.board")))
def test_board_knows_nothing_of_the_web(name):
    for target in imported_names(name):
        top = target.split(".")[0]
        assert top not in WEB_FRAMEWORK, f"{name} imports {target}"
        assert layer_of(target) not in ("ideaboard.web", "ideaboard.benchseed"), (name, target)
        assert target not in ("ideaboard", "ideaboard.cli"), f"{name} imports {target}"


@pytest.mark.parametrize("name", sorted(DATA_LAYER))
def test_the_data_layer_imports_no_rules_and_no_web(name):
    for target in imported_names(name):
        assert target.split(".")[0] not in WEB_FRAMEWORK, f"{name} imports {target}"
    for target in internal_imports(name):
        assert target in DATA_LAYER, f"{name} imports {target}"


def test_only_the_app_factory_and_commands_reach_the_seeding():
    for name in MODULES:
        if layer_of(name) != "ideaboard.benchseed" and name != "ideaboard.cli":
            reached = {layer_of(t) for t in internal_imports(name)}
            assert "ideaboard.benchseed" not in reached, name


def sql_may_run_in(name: str) -> bool:
    return name in SQL_ALLOWED_MODULES or name.startswith(SQL_ALLOWED)


MODEL_NAMES = {model.__name__ for model in ALL_MODELS}


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not sql_may_run_in(n)))
def test_no_sql_and_no_queries_outside_board_and_the_data_layer(name):
    for node in ast.walk(TREES[name]):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert not node.value.lstrip().startswith(SQL_WORDS), f"SQL text in {name}"
        if isinstance(node, ast.Attribute) and node.attr == "execute_sql":
            pytest.fail(f"{name} runs SQL (line {node.lineno})")
        if (
            isinstance(node, ast.Attribute)
            and node.attr in QUERY_METHODS
            and isinstance(node.value, ast.Name)
            and node.value.id in MODEL_NAMES
        ):
            pytest.fail(f"{name} queries {node.value.id}.{node.attr} (line {node.lineno})")


@pytest.mark.parametrize("name", sorted(n for n in MODULES if layer_of(n) == "ideaboard.web"))
def test_pages_never_hold_the_database_handle(name):
    for node in ast.walk(TREES[name]):
        if isinstance(node, ast.ImportFrom) and node.module == "ideaboard.db":
            assert "db" not in {alias.name for alias in node.names}, name


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_too_long_to_read(name):
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines: split it by meaning"
