"""The test suite, one package per part (tests.access, tests.inventory, ...).

A test imports a helper by its package path, e.g. `from tests.inventory.inventories
import PILOT`: the repository root is on sys.path (pyproject's pytest `pythonpath`).
"""
