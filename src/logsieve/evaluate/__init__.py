"""Evaluation: measure each pipeline stage against public ground truth.

``metrics`` scores log parsing (GA, PA, FGA, FTA, Rand index) as the Loghub-2.0 benchmark does;
``loghub`` finds and loads the Loghub parsing data sets. Pure Python, so evaluation runs with
the core install (no numpy/pandas).
"""

from logsieve.evaluate.loghub import (
    DATA_DIR_ENV,
    LOGHUB2_SYSTEMS,
    LOGHUB_2K_SYSTEMS,
    ParsingDataset,
    default_data_dir,
    load_structured_csv,
    resolve_parsing_datasets,
)
from logsieve.evaluate.metrics import FtaRule, ParsingScores, parsing_scores, rand_index

__all__ = [
    "DATA_DIR_ENV",
    "FtaRule",
    "LOGHUB2_SYSTEMS",
    "LOGHUB_2K_SYSTEMS",
    "ParsingDataset",
    "ParsingScores",
    "default_data_dir",
    "load_structured_csv",
    "parsing_scores",
    "rand_index",
    "resolve_parsing_datasets",
]
