"""Commands that fit detectors: ``detectors``, ``train`` and ``evaluate detection``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
import yaml
from rich.table import Table

from logsieve.cli._common import DATA_HELP, app, emit_json, err, evaluate_app, fail, llm_config, out

_SET_HELP = "Detector setting KEY=VALUE (repeatable; VALUE is YAML, e.g. epochs=5). See `logsieve detectors`."
_PARAMS_HELP = "YAML file with a mapping of detector settings (--set overrides it)."
_SPECS_HELP = "Extra YAML file of data set specs (layout of the built-in datasets.yaml), e.g. your own labelled logs."


def detector_settings(params: Optional[Path], sets: list[str]) -> dict[str, Any]:
    """Settings from ``--params FILE`` then ``--set KEY=VALUE`` pairs (values parsed as YAML)."""
    settings: dict[str, Any] = {}
    if params is not None:
        try:
            loaded = yaml.safe_load(params.read_text("utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            fail(f"cannot read --params {params}: {exc}")
        if not isinstance(loaded, dict):
            fail(f"--params {params} must hold a mapping of settings, e.g. `epochs: 5`")
        settings.update(loaded)
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(f"--set wants KEY=VALUE, got {item!r}")
        settings[key.strip()] = yaml.safe_load(value)
    return settings


@app.command()
def detectors(
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON object instead of a table.")] = False,
) -> None:
    """List the detectors `train` and `evaluate detection` accept, and what each one is."""
    from logsieve.detectors.registry import DETECTORS

    if json_out:
        emit_json({"detectors": {name: doc for name, (_, _, doc) in DETECTORS.items()}})
        return
    table = Table(title="detectors")
    table.add_column("name", style="bold")
    table.add_column("what it is")
    for name, (_, _, doc) in DETECTORS.items():
        table.add_row(name, doc)
    out.print(table)


@app.command()
def train(
    detector: Annotated[str, typer.Option(help="Detector name (see `logsieve detectors`).")],
    dataset: Annotated[str, typer.Option(help="Labelled data set to train on (see `logsieve datasets`).")],
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Directory for the trained model. Default: .logsieve/models/DETECTOR-DATASET.")] = None,
    params: Annotated[Optional[Path], typer.Option(help=_PARAMS_HELP)] = None,
    sets: Annotated[list[str], typer.Option("--set", help=_SET_HELP)] = [],
    data_dir: Annotated[Optional[Path], typer.Option(help=DATA_HELP)] = None,
    datasets_file: Annotated[list[Path], typer.Option("--datasets-file", help=_SPECS_HELP)] = [],
    llm: Annotated[str, typer.Option(help="Measure the LLM on the validation split to choose who decides each routed situation (the trust rule): embedded, an OpenAI-compatible base URL, or none (keep the default rule: the LLM may raise alarms, not overturn the small model's).")] = "none",
    llm_model: Annotated[Optional[str], typer.Option(help="Embedded: a packaged model name or a GGUF path; HTTP: the server's model name.")] = None,
    prompt: Annotated[str, typer.Option(help="The expert's prompt the trust rule is measured with (a packaged name or a YAML file).")] = "cola",
    calibrate_max: Annotated[int, typer.Option(min=1, help="With --llm: at most this many routed validation sequences asked about per situation.")] = 30,
    json_out: Annotated[bool, typer.Option("--json", help="Last line of stdout is a JSON summary.")] = False,
) -> None:
    """Train a detector on a data set's train split and save it as a model bundle.

    The split is chronological (20% train, 10% validation, 70% test); the validation split
    chooses the threshold (and the epochs of deep models) and CoLA's tau. The bundle keeps the
    parser state, the templates the model has seen, and the labelled train and validation
    sequences as the LLM's few-shot examples. With --llm the LLM is measured on the validation
    split in each situation where `detect` would ask it (the small model says abnormal, is
    unsure, or meets a never-seen template) and the bundle keeps the rule validation supports.
    The test split is scored once so you see what you trained.

    Examples:
      logsieve train --detector logmoe --dataset hdfs-sample --out models/logmoe
      logsieve train --detector logreg --dataset hdfs-sample --llm embedded --out models/logreg
    """
    target = out_dir or Path(".logsieve") / "models" / f"{detector}-{dataset}"
    loaded: dict = {}
    run = _run(dataset, detector, detector_settings(params, sets), None, data_dir, target, datasets_file, loaded)
    trust = None
    if llm != "none":
        trust = _calibrate(target, loaded[dataset], llm, llm_model, prompt, calibrate_max)
    if json_out:
        emit_json(run.as_dict() | ({"trust": trust.model_dump(mode="json")} if trust is not None else {}))
        return
    _print_runs([run])
    if trust is not None:
        _print_trust(trust)
    out.print(f"model saved to {target}")


@evaluate_app.command("detection")
def evaluate_detection_cmd(
    dataset: Annotated[str, typer.Option(help="Labelled data set whose test split is scored (see `logsieve datasets`).")],
    detector: Annotated[Optional[str], typer.Option(help="Detector name (see `logsieve detectors`). With --label-free: default `learn`'s (self-trained).")] = None,
    fit_on: Annotated[list[str], typer.Option("--fit-on", help="Fit on these data sets' train splits instead (repeatable): several systems at once, or another system (transfer).")] = [],
    params: Annotated[Optional[Path], typer.Option(help=_PARAMS_HELP)] = None,
    sets: Annotated[list[str], typer.Option("--set", help=_SET_HELP)] = [],
    data_dir: Annotated[Optional[Path], typer.Option(help=DATA_HELP)] = None,
    datasets_file: Annotated[list[Path], typer.Option("--datasets-file", help=_SPECS_HELP)] = [],
    label_free: Annotated[bool, typer.Option("--label-free", help="Fit as `logsieve learn` does: no label read; train + validation are the history, labels only score the test split.")] = False,
    expected_share: Annotated[float, typer.Option(min=0.0001, max=0.49, help="With --label-free: share of the history expected to be abnormal (the threshold flags that share of its scores).")] = 0.02,
    clean_history: Annotated[bool, typer.Option("--clean-history", help="With --label-free: drop the history's labelled anomalies first (a measurement of what unclean history costs; the product never has labels to do this).")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Last line of stdout is a JSON summary.")] = False,
) -> None:
    """Precision, recall and F1 of a detector on a data set's test split.

    Chronological split; threshold and epochs chosen on validation only; one pass over test.
    With --fit-on hdfs-sample --fit-on bgl-2k one model is fitted on both systems; with
    --fit-on bgl-2k alone and --dataset hdfs-sample it is a transfer run.

    With --label-free the detector is fitted through `logsieve learn`'s path: train and
    validation, their labels stripped, are the history; the threshold flags --expected-share of
    the history's own scores; labels are read only to score the test split. The JSON adds
    `supervised_f1`, the best supervised detector (logreg) on the same split.

    Example: logsieve evaluate detection --dataset hdfs-sample --detector logmoe --json
    Example: logsieve evaluate detection --dataset bgl-2k --label-free --json
    """
    if label_free:
        _label_free(dataset, detector, detector_settings(params, sets), expected_share, clean_history,
                    data_dir, datasets_file, json_out)
        return
    if detector is None:
        fail("--detector is needed (see `logsieve detectors`), or add --label-free to fit as `logsieve learn` does")
    run = _run(dataset, detector, detector_settings(params, sets), fit_on or None, data_dir, None, datasets_file)
    if json_out:
        emit_json(run.as_dict())
        return
    _print_runs([run])


def _label_free(dataset: str, detector: Optional[str], settings: dict[str, Any], expected_share: float,
                clean_history: bool, data_dir: Optional[Path], specs: list[Path], json_out: bool) -> None:
    from pydantic import ValidationError

    from logsieve.evaluate.datasets import DatasetError, DatasetFilesMissing
    from logsieve.evaluate.label_free import run_label_free
    from logsieve.jobs.learn import DEFAULT_DETECTOR, LearnConfig

    try:
        config = LearnConfig(detector=detector or DEFAULT_DETECTOR, detector_settings=settings,
                             expected_share=expected_share)
        with err.status(f"label-free fit on {dataset} ({config.detector}), then logreg beside it ..."):
            run = run_label_free(dataset, config, data_dir=data_dir, clean_history=clean_history,
                                 extra_specs=tuple(specs))
    except (DatasetError, DatasetFilesMissing, KeyError, ValueError, ValidationError) as exc:
        fail(str(exc))
    doc = run.as_dict()
    if json_out:
        emit_json(doc)
        return
    table = Table(title=f"label-free detection on {dataset} (test split)")
    for col in ("detector", "expected share", "precision", "recall", "F1", f"supervised F1 ({doc['supervised_detector']})"):
        table.add_column(col)
    table.add_row(run.detector, f"{run.expected_share:.1%}", f"{run.precision:.3f}", f"{run.recall:.3f}",
                  f"{run.f1:.3f}", f"{run.supervised_f1:.3f}")
    out.print(table)
    out.print(f"history: {doc['history']}; {run.history_sequences} sequences, {run.flagged_share:.1%} flagged")


def _run(dataset: str, detector: str, settings: dict[str, Any], fit_on: list[str] | None,
         data_dir: Optional[Path], save_to: Optional[Path], specs: list[Path], loaded: dict | None = None):
    from pydantic import ValidationError

    from logsieve._optional import MissingExtraError
    from logsieve.detectors.base import DetectorError, DetectorInputError
    from logsieve.evaluate.datasets import DatasetError, DatasetFilesMissing
    from logsieve.evaluate.detection import run_detection
    from logsieve.detectors.registry import DETECTORS

    if detector not in DETECTORS:
        fail(f"unknown detector {detector!r}; known: {', '.join(DETECTORS)}")
    try:
        with err.status(f"loading {dataset}, fitting {detector} ..."):
            return run_detection(dataset, detector, settings, fit_on=fit_on, data_dir=data_dir, save_to=save_to,
                                 extra_specs=specs, loaded=loaded)
    except ValidationError as exc:
        fail(f"bad setting for {detector}: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}")
    except (KeyError, DatasetError, DatasetFilesMissing, FileNotFoundError) as exc:
        fail(str(exc).strip("'\""))
    except (DetectorError, DetectorInputError, MissingExtraError, ValueError) as exc:
        fail(str(exc))


def _calibrate(target: Path, ds, llm: str, llm_model: Optional[str], prompt: str, per_situation: int):
    """The trust rule measured on ``ds``'s validation split through the engine, saved in the bundle."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from logsieve.detectors.base import SequenceBatch
    from logsieve.engine import EngineConfig
    from logsieve.engine.calibrate import CalibrationConfig, calibrate_trust

    config = EngineConfig(llm=llm_config(llm, llm_model), prompt=prompt)
    validation = SequenceBatch(ds.splits.validation, ds.templates)
    try:
        with Progress(TextColumn("measuring the LLM on validation"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err, transient=True) as bar:
            task = bar.add_task("calibrate", total=None)
            bundle = calibrate_trust(target, validation, config, templates=ds.templates,
                                     config=CalibrationConfig(max_per_situation=per_situation),
                                     progress=lambda done, total: bar.update(task, completed=done, total=total))
    except (ImportError, RuntimeError, ValueError, OSError) as exc:
        fail(f"measuring the trust rule failed: {exc}")
    return bundle.trust


def _print_trust(trust) -> None:
    table = Table(title="trust rule, measured on validation (who decides a sequence sent to the LLM)")
    for col in ("situation", "asked", "anomalies", "small acc.", "LLM acc.", "rule", "why"):
        table.add_column(col, justify="left" if col in ("situation", "rule", "why") else "right")
    for situation in ("abnormal", "unsure", "unseen"):
        f = trust.figures.get(situation)
        fmt = lambda x: "-" if x is None else f"{x:.2f}"  # noqa: E731
        table.add_row(situation, str(f.n if f else 0), str(f.anomalies if f else 0),
                      fmt(f.small_accuracy if f else None), fmt(f.llm_accuracy if f else None),
                      trust.rule(situation), f.chosen_by if f else "default")
    out.print(table)


def _print_runs(runs: list) -> None:
    if len(runs) == 1:  # one run reads better as a list of figures than as a cramped row
        r = runs[0]
        table = Table(title=f"{r.detector} on {r.dataset} (test split; threshold from validation)", show_header=False)
        table.add_column(style="bold")
        table.add_column(justify="right")
        for name, value in [("fitted on", " + ".join(r.fit_on)), ("precision", f"{r.precision:.3f}"),
                            ("recall", f"{r.recall:.3f}"), ("F1", f"{r.f1:.3f}"),
                            ("train / validation / test", f"{r.train_sequences} / {r.validation_sequences} / {r.test_sequences}"),
                            ("test anomalies", str(r.test_anomalies)), ("train seconds", f"{r.train_seconds:.1f}"),
                            ("scored sequences/s", f"{r.score_sequences_per_s:,.0f}")]:
            table.add_row(name, value)
        out.print(table)
        return
    table = Table(title="detection on the test split (chronological; threshold from validation)")
    for col in ("data set", "detector", "fit on", "precision", "recall", "F1", "train/val/test", "anomalies",
                "train s", "scored/s"):
        table.add_column(col, justify="left" if col in ("data set", "detector", "fit on") else "right")
    for r in runs:
        table.add_row(r.dataset, r.detector, "+".join(r.fit_on), f"{r.precision:.3f}", f"{r.recall:.3f}",
                      f"{r.f1:.3f}", f"{r.train_sequences}/{r.validation_sequences}/{r.test_sequences}",
                      str(r.test_anomalies), f"{r.train_seconds:.1f}", f"{r.score_sequences_per_s:,.0f}")
    out.print(table)
