"""The engine's shape, checked from its source: imports point one way between sub-packages and
never form a cycle; no file outside nn/ writes a forward or backward pass; no module imports
another's private names. (Reading the source with ``ast`` counts imports inside functions too.)"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / 'py' / 'glassbox'
# sub-package -> rank: a module may import its own sub-package and those of LOWER rank only.
RANKS = {'checks': 0, 'nn': 1, 'data': 1, 'train': 2, 'monitor': 3, 'analyses': 3, 'interop': 3, 'swarm': 4,
         'protocol': 5}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix('').parts)
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob('*.py'))}


def imports(name: str):
    """(imported module, [names]) for every import in module ``name``, relative ones resolved."""
    path = MODULES[name]
    package = name if path.name == '__init__.py' else name.rsplit('.', 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = '.'.join(anchor + ([base] if base else []))
            names = [a.name for a in node.names]
            submodules = [base + '.' + n for n in names if base + '.' + n in MODULES]
            yield base, [n for n in names if base + '.' + n not in MODULES]
            for sub in submodules:
                yield sub, []


def graph():
    return {name: sorted({target for target, _ in imports(name) if target in MODULES and target != name})
            for name in MODULES}


def test_no_import_cycle_inside_glassbox():
    edges = graph()
    # Package __init__ files only re-export; a cycle through one is still a cycle, so they stay in.
    state, stack, cycles = {}, [], []

    def visit(node):
        state[node] = 'open'
        stack.append(node)
        for nxt in edges[node]:
            if state.get(nxt) == 'open':
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 'done'
    for name in edges:
        if name not in state:
            visit(name)
    assert not cycles, '\n'.join(' -> '.join(c) for c in cycles)


def sub_package(name: str) -> str:
    parts = name.split('.')
    return parts[1] if len(parts) > 1 else ''


@pytest.mark.parametrize('name', [n for n in MODULES if sub_package(n) in RANKS])
def test_imports_point_one_way(name):
    own = sub_package(name)
    for target, _ in imports(name):
        other = sub_package(target) if target.startswith('glassbox') else None
        if other is None or other == own:
            continue
        assert other in RANKS and RANKS[other] < RANKS[own], '%s imports %s' % (name, target)


@pytest.mark.parametrize('name', sorted(MODULES))
def test_no_module_imports_another_modules_private_names(name):
    for target, names in imports(name):
        if target.startswith('glassbox'):
            assert not [n for n in names if n.startswith('_') and n != '__version__'], (name, target, names)


def _writes_a_pass(tree) -> list:
    """Calls of a layer activation's forward/backward, and products with a transposed W."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ('forward', 'backward') and \
                isinstance(node.value, ast.Attribute) and node.value.attr == 'activation':
            found.append('line %d: activation.%s' % (node.lineno, node.attr))
        if isinstance(node, ast.Attribute) and node.attr == 'T' and \
                isinstance(node.value, ast.Attribute) and node.value.attr == 'W':
            found.append('line %d: W.T' % node.lineno)
    return found


@pytest.mark.parametrize('name', [n for n in MODULES if sub_package(n) != 'nn'])
def test_no_forward_or_backward_pass_outside_nn(name):
    assert not _writes_a_pass(ast.parse(MODULES[name].read_text())), name


def test_the_pass_detector_finds_a_hand_written_backward():
    assert _writes_a_pass(ast.parse('g = matmul(layer.activation.backward(z, a, g), layer.W.T)'))
