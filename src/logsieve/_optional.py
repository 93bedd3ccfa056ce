"""Optional imports that name the pip extra to install when they are missing.

The core (ingest, parsing, CLI) installs light; learned parts need the ``ml`` extra. A missing
package should say exactly what to run, not show a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message says which extra brings it."""


def require(module: str, extra: str = "ml", purpose: str = "") -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming ``pip install 'logsieve[extra]'``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        what = f" for {purpose}" if purpose else ""
        raise MissingExtraError(
            f"{module} is needed{what} but is not installed; run: pip install 'logsieve[{extra}]' "
            f"(or `make install` in a checkout)"
        ) from exc
