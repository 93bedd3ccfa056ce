"""Make ``src/`` importable when the package has not been installed (``pip install -e .``)."""

import sys
from pathlib import Path

try:
    import logsieve  # noqa: F401
except ModuleNotFoundError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
