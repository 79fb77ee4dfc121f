"""The product (``plugins/``: the ``anymarket`` package and its api-server plugin) holds no demo code.

The demo ERP seeder and the demo mappings are dev-only and live in ``anymarket_sandbox`` at the project
root, which is never deployed as part of the product: dev code may import the product, never the reverse.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PLUGINS = REPO_ROOT / "plugins"
PRODUCT = PLUGINS / "anymarket"
DEV_PACKAGE = "anymarket_sandbox"


def _product_files() -> Iterator[Path]:
    for path in sorted(PLUGINS.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path


def _imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Absolute module names a module imports: import statements, literal ``import_module``/``__import__``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in {"import_module", "__import__"} and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def test_no_product_file_is_or_mentions_the_demo_seeder() -> None:
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for path in _product_files()
        if path.stem == "demo_data" or "demo_data" in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert offenders == [], f"demo code in the product: {offenders}"


def test_no_product_module_imports_the_dev_package() -> None:
    modules = [path for path in _product_files() if path.suffix == ".py"]
    imports: dict[str, list[tuple[int, str]]] = {
        str(path.relative_to(REPO_ROOT)): list(_imported_modules(ast.parse(path.read_text(encoding="utf-8"))))
        for path in modules
    }
    # The scan really reads the product: many modules, and the imports they are known to make.
    assert len(modules) > 50
    assert any(name == "anymarket.erp.database" for found in imports.values() for _, name in found)
    offenders = [
        f"{path}:{line} imports {name}"
        for path, found in imports.items()
        for line, name in found
        if name == DEV_PACKAGE or name.startswith(f"{DEV_PACKAGE}.")
    ]
    assert offenders == [], "the product imports dev-only code:\n" + "\n".join(offenders)


def test_the_demo_seeder_is_not_importable_from_the_product() -> None:
    assert importlib.util.find_spec("anymarket.erp.demo_data") is None
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("anymarket.erp.demo_data")
    # It is dev code now, beside the sandbox.
    spec = importlib.util.find_spec(f"{DEV_PACKAGE}.demo_erp")
    assert spec is not None and spec.origin == str(REPO_ROOT / DEV_PACKAGE / "demo_erp.py")


def test_the_erp_layer_imports_without_the_dev_tree(tmp_path: Path) -> None:
    """As deployed: only ``plugins`` on the path (the child runs elsewhere, so the project root is not)."""
    code = (
        "import sys, anymarket, anymarket.erp, anymarket.erp.database\n"
        f"assert not any(m.split('.')[0] == {DEV_PACKAGE!r} for m in sys.modules), sorted(sys.modules)\n"
        "import importlib.util\n"
        f"assert importlib.util.find_spec({DEV_PACKAGE!r}) is None\n"
        "print('ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(PLUGINS)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, check=False
    )
    # (Airflow, imported on the way, may log to stdout first.)
    assert result.returncode == 0 and result.stdout.splitlines()[-1:] == ["ok"], result.stderr
