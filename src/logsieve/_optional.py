"""Optional imports that name the pip extra to install when they are missing.

The core (ingest, parsing, CLI) installs light; learned parts need the ``ml`` extra. A missing
package should say exactly what to run, not show a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message says which extra brings it."""


def require(module: str, extra: str = "ml", purpose: str = "") -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming ``pip install 'logsieve[extra]'``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise _missing(module, extra, purpose) from exc


def available(module: str, extra: str = "ml", purpose: str = "") -> None:
    """Check that ``module`` is installed *without importing it*, else raise as :func:`require` does.

    Why: scikit-learn takes about 0.8 s to import on 2 cores, and ``detect`` with a count
    model never needs it (scoring is numpy); only fitting imports it, where it is used.
    """
    if importlib.util.find_spec(module.split(".")[0]) is None:
        raise _missing(module, extra, purpose)


def _missing(module: str, extra: str, purpose: str) -> MissingExtraError:
    what = f" for {purpose}" if purpose else ""
    return MissingExtraError(f"{module} is needed{what} but is not installed; run: pip install 'logsieve[{extra}]' "
                             f"(or `make install` in a checkout)")
