"""The engine must run unchanged on Pyodide 0.17: Python 3.8 + numpy 1.17.5.

Static checks over every file in py/glassbox, so that they also guard the
browser build when this suite runs on a newer CPython.
"""
from __future__ import annotations

import ast
import os
import sys

import pytest

ENGINE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "py", "glassbox")
ENGINE_FILES = sorted(
    os.path.join(folder, name) for folder, _, names in os.walk(ENGINE_DIR) for name in names if name.endswith(".py")
)

# Names that only exist in Python >= 3.9 or numpy > 1.17, or that numpy 2
# removed (the engine must run on both ends).
# Methods, flagged on any object: no older type has a method of that name.
FORBIDDEN_METHODS = {"removeprefix", "removesuffix", "is_relative_to", "with_stem", "bit_count",
                     "permuted", "randbytes"}
# module -> attributes, flagged as `module.attr` or `from module import attr`.
FORBIDDEN_MODULE_ATTRS = {
    "functools": {"cache"},
    "math": {"lcm", "nextafter", "ulp"},
    "itertools": {"pairwise"},
    "numpy": {
        # newer than 1.17, including the numpy 2 array-API aliases
        "trapezoid", "concat", "isdtype", "unstack", "cumulative_sum", "cumulative_prod",
        "matrix_transpose", "vecdot", "permute_dims", "pow", "acos", "asin", "atan", "atan2",
        "acosh", "asinh", "atanh", "bitwise_invert", "bitwise_left_shift", "bitwise_right_shift",
        "astype", "long", "ulong", "vecmat", "matvec",
        # removed in numpy 2
        "float_", "complex_", "NaN", "Inf", "PINF", "NINF", "product", "alltrue", "sometrue",
        "cumproduct", "round_", "in1d", "row_stack", "trapz", "msort", "asfarray",
        "find_common_type",
    },
}
MODULE_ALIASES = {"np": "numpy", "numpy": "numpy", "functools": "functools", "math": "math",
                  "itertools": "itertools"}
FORBIDDEN_MODULES = {"zoneinfo", "graphlib", "tomllib"}
BUILTIN_GENERICS = {"list", "dict", "tuple", "set", "frozenset", "type"}
# `int | None` outside annotations is evaluated, and needs 3.10.
BUILTIN_TYPES = {"int", "float", "str", "bool", "bytes", "list", "dict", "tuple", "set", "type"}


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _annotation_nodes(tree):
    """ids of every node inside an annotation (those are never evaluated)."""
    roots = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            roots.append(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            roots.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            roots.append(node.annotation)
    return {id(n) for root in roots for n in ast.walk(root)}


def problems_in(src):
    """Human-readable list of 3.8 / numpy-1.17 incompatibilities in ``src``."""
    found = []
    tree = ast.parse(src)
    in_annotation = _annotation_nodes(tree)
    match_type = getattr(ast, "Match", None)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", "?")
        if match_type is not None and isinstance(node, match_type):
            found.append("line %s: match statement" % line)
        elif isinstance(node, ast.Attribute):
            module = MODULE_ALIASES.get(node.value.id) if isinstance(node.value, ast.Name) else None
            if node.attr in FORBIDDEN_METHODS or node.attr in FORBIDDEN_MODULE_ATTRS.get(module, ()):
                found.append("line %s: .%s" % (line, node.attr))
        elif isinstance(node, ast.ImportFrom):
            bad = FORBIDDEN_MODULE_ATTRS.get(node.module, set())
            for alias in node.names:
                if alias.name in bad:
                    found.append("line %s: from %s import %s" % (line, node.module, alias.name))
            if node.module in FORBIDDEN_MODULES:
                found.append("line %s: module %s" % (line, node.module))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in FORBIDDEN_MODULES:
                    found.append("line %s: module %s" % (line, alias.name))
        elif isinstance(node, ast.Subscript) and id(node) not in in_annotation:
            if isinstance(node.value, ast.Name) and node.value.id in BUILTIN_GENERICS:
                found.append("line %s: %s[...] outside an annotation" % (line, node.value.id))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr) and id(node) not in in_annotation:
            operands = (node.left, node.right)
            if any(isinstance(o, ast.Dict) for o in operands):
                found.append("line %s: dict | dict" % line)
            elif any(isinstance(o, ast.Name) and o.id in BUILTIN_TYPES for o in operands):
                found.append("line %s: X | Y type union" % line)
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "zip":
                if any(k.arg == "strict" for k in node.keywords):
                    found.append("line %s: zip(strict=...)" % line)
    return found


def test_engine_files_exist():
    names = {os.path.basename(p) for p in ENGINE_FILES}
    for name in ("activations.py", "losses.py", "initializers.py", "layers.py", "model.py",
                 "optimizers.py", "trainer.py", "snapshot.py"):
        assert name in names


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: os.path.relpath(p, ENGINE_DIR))
def test_parses_with_python_3_8_grammar(path):
    ast.parse(_read(path), filename=path, feature_version=(3, 8))


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: os.path.relpath(p, ENGINE_DIR))
def test_uses_no_python_3_9_or_newer_numpy_features(path):
    assert problems_in(_read(path)) == []


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: os.path.relpath(p, ENGINE_DIR))
def test_starts_with_future_annotations(path):
    tree = ast.parse(_read(path))
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # the module docstring may come first
    if not body:
        return  # an empty (or docstring-only) __init__.py needs nothing
    first = body[0]
    assert isinstance(first, ast.ImportFrom) and first.module == "__future__" \
        and [a.name for a in first.names] == ["annotations"], "first statement must be the __future__ import"


@pytest.mark.parametrize("snippet", [
    "s.removeprefix('a')\n",
    "from functools import cache\n",
    "import numpy as np\nnp.trapezoid(y)\n",
    "rng.permuted(x)\n",
    "x = list[int]\n",
    "d = {'a': 1} | other\n",
    "zip(a, b, strict=True)\n",
    "import numpy as np\nnp.float_(1)\n",
    "import functools\n@functools.cache\ndef f(): pass\n",
    "isinstance(x, int | None)\n",
])
def test_the_scanner_catches_known_incompatibilities(snippet):
    assert problems_in(snippet), snippet


@pytest.mark.skipif(sys.version_info < (3, 10), reason="older Pythons cannot even parse `match`")
def test_the_scanner_catches_match_statements():
    assert problems_in("match x:\n    case 1:\n        pass\n")


def test_the_scanner_allows_array_methods_caches_and_annotations():
    ok = "def f(x: list[int]) -> int | None:\n    self.cache = x.astype('f4') ** 2\n    return self.cache\n"
    assert problems_in(ok) == []
