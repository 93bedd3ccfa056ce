"""Parsing: turn a line's content into a template id and its parameters.

``drain`` is the online prefix-tree parser (the default); ``masking`` holds the variable-masking
rules it applies first; ``state`` saves and loads a parser's state as a versioned file.
"""

from logsieve.parsing.drain import DrainConfig, DrainParser, ParseResult, Template
from logsieve.parsing.masking import Masker, MaskingConfig, MaskingRule
from logsieve.parsing.state import STATE_VERSION, StateVersionError

__all__ = [
    "DrainConfig",
    "DrainParser",
    "Masker",
    "MaskingConfig",
    "MaskingRule",
    "ParseResult",
    "STATE_VERSION",
    "StateVersionError",
    "Template",
]
