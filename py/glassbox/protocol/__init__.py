"""The engine's side of the worker boundary (transitional: the restructure fills this package)."""
from __future__ import annotations

from ..session import handle, register_data  # noqa: F401
from .tables import shared_tables  # noqa: F401
