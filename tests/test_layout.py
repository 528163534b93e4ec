"""How the tests are laid out: fixtures in conftest.py files, helpers in tests/support, and
no test module imports another test module or a conftest (a helper used twice moves to
tests/support)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _is_test_module(name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "tests" and (parts[-1].startswith("test_") or parts[-1] == "conftest")


def test_no_test_module_imports_a_test_module_or_a_conftest() -> None:
    wrong = {f"{path.relative_to(TESTS)} imports {name}"
             for path in TESTS.rglob("*.py")
             for name in _imported_modules(path) if _is_test_module(name)}
    assert wrong == set()


def test_conftest_files_hold_fixtures_only() -> None:
    for path in TESTS.rglob("conftest.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)) or (
                    isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
                continue
            decorators = [ast.unparse(d) for d in getattr(node, "decorator_list", [])]
            is_hook = isinstance(node, ast.FunctionDef) and node.name.startswith("pytest_")
            assert is_hook or any("fixture" in d for d in decorators), (
                f"{path.relative_to(TESTS)}:{node.lineno} is not a fixture: move it to "
                "tests/support")


def test_the_layout_check_sees_a_test_module_import() -> None:
    assert _is_test_module("tests.audit.test_chain") and _is_test_module("tests.conftest")
    assert not _is_test_module("tests.support.audit")
