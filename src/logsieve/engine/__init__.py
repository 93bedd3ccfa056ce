"""The engine: one assembly from a model bundle and a config to the running pipeline.

* :mod:`.build`: :class:`EngineConfig`, :class:`Engine`, :func:`build_engine`, used by
  ``detect``, ``serve``, ``evaluate collab`` and the benchmarks alike;
* :mod:`.make`: :func:`write_bundle`, what ``train`` saves (detector, parser, tau, known
  templates, example bank);
* :mod:`.bank`: the few-shot example bank on disk;
* :mod:`.calibrate`: the trust rule measured on validation, per routing situation;
* :mod:`.adapting`: learning while running (the ``adapt:`` section, model versions on disk and
  in the registry, resuming after a restart).
"""

from logsieve.engine.adapting import AdaptSection
from logsieve.engine.build import MODES, Engine, EngineConfig, build_engine
from logsieve.engine.make import write_bundle

__all__ = ["MODES", "AdaptSection", "Engine", "EngineConfig", "build_engine", "write_bundle"]
