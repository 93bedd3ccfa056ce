"""``logsieve learn``: your own logs, no labels, to a model bundle ``detect`` and ``serve`` run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from logsieve.cli._common import app, emit_json, err, fail, out

_GROUP_HELP = ("How lines become sequences, instead of discovering it: `session:REGEX` (sessions keyed by the "
               "id the regex finds, e.g. 'session:blk_-?\\d+'), `fixed:N` (windows of N lines), "
               "`sliding:N:STEP`, `time:SECONDS[:STEP]`.")


def parse_group_option(text: str) -> Any:
    """``--group`` text -> a grouping config; the error says which forms exist."""
    from pydantic import ValidationError

    from logsieve.sessions.config import parse_grouping

    kind, _, rest = text.partition(":")
    try:
        if kind == "session" and rest:
            return parse_grouping({"kind": "session", "id_pattern": rest})
        nums = [float(x) for x in rest.split(":")] if rest else []
        if kind == "fixed" and len(nums) == 1:
            return parse_grouping({"kind": "fixed", "size": int(nums[0])})
        if kind == "sliding" and len(nums) == 2:
            return parse_grouping({"kind": "sliding", "size": int(nums[0]), "step": int(nums[1])})
        if kind == "time" and len(nums) in (1, 2):
            return parse_grouping({"kind": "time", "span": nums[0], "step": nums[-1]})
    except (ValueError, ValidationError, re.error) as exc:
        raise typer.BadParameter(f"--group {text!r}: {exc}. {_GROUP_HELP}") from None
    raise typer.BadParameter(f"--group {text!r} is not a grouping. {_GROUP_HELP}")


@app.command()
def learn(
    sources: Annotated[list[str], typer.Argument(help="Log files, folders or globs (gzip is read as is); '-' reads stdin.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for the model bundle (`detect --model` and `serve --model` read it).")],
    log_format: Annotated[str, typer.Option("--format", "-f", help="Log format, or `auto`: each file's own, detected from its first lines (see `logsieve formats --detect FILE`).")] = "auto",
    group: Annotated[Optional[str], typer.Option(help=_GROUP_HELP)] = None,
    detector: Annotated[Optional[str], typer.Option(help="A detector that needs no labels (see `logsieve detectors`). Default: self-trained.")] = None,
    expected_share: Annotated[float, typer.Option(min=0.0001, max=0.49, help="Share of sequences you expect to be abnormal (a prior): the threshold flags at least that share of the history's own scores; the default detector flags more when the history's rare templates show more.")] = 0.02,
    formats_file: Annotated[list[Path], typer.Option("--formats-file", help="Extra YAML file of formats.")] = [],
    llm: Annotated[str, typer.Option(help="Also label the history with an LLM (ALPHA, no human label: the label-free model seeds its few-shot refinement) and train a supervised small model on the labels: embedded, an OpenAI-compatible base URL, or none.")] = "none",
    llm_model: Annotated[Optional[str], typer.Option(help="Embedded: a packaged model name or a GGUF path; HTTP: the server's model name.")] = None,
    budget: Annotated[float, typer.Option(min=0.0001, help="With --llm: LLM annotations, as a share of the history's sequences (< 1) or a count.")] = 0.02,
    json_out: Annotated[bool, typer.Option("--json", help="Last line of stdout is a JSON summary.")] = False,
    read_ahead: Annotated[bool, typer.Option("--read-ahead/--no-read-ahead", help="Read large files (1 MB and up) in a second process while this one parses (Linux, 2 or more cores); --no-read-ahead reads in one process. The model is the same either way.")] = True,
) -> None:
    """Learn what normal looks like from your own logs, with no labels, and save a model.

    It detects each file's format, parses the lines into templates, finds how lines group into
    sequences (recurring ids such as request or block ids, else time windows sized from the
    line rate), fits a detector that needs no labels, and sets its threshold so that at least
    --expected-share of the history is flagged (the default detector raises it to the share of
    sequences holding a template rarer than that). Nothing is downloaded and no label is read.

    Example: logsieve learn /var/log/myapp/ --out models/myapp
    Then:    logsieve detect /var/log/myapp/today.log --model models/myapp
    """
    from pydantic import ValidationError

    from logsieve.jobs.learn import DEFAULT_DETECTOR, LearnConfig, learn as run_learn

    from logsieve.cli._common import llm_config
    from logsieve.label.config import AlphaConfig

    grouping = parse_group_option(group) if group else None
    try:
        config = LearnConfig(detector=detector or DEFAULT_DETECTOR, expected_share=expected_share,
                             log_format=log_format, grouping=grouping,
                             formats_files=tuple(str(p) for p in formats_file), llm=llm_config(llm, llm_model),
                             alpha=AlphaConfig(budget=budget, seed_labels=15), read_ahead=read_ahead)
        with _Bar(enabled=err.is_terminal) as bar:
            summary = run_learn(sources, out_dir, config, progress=bar.hook)
    except (ValueError, KeyError, ValidationError, OSError) as exc:
        fail(f"{exc}")
    doc = summary.as_dict()
    if json_out:
        emit_json(doc)
        return
    _print_summary(doc)


def _print_summary(doc: dict[str, Any]) -> None:
    for name, f in doc["formats"].items():
        sure = f" (sure: {f['confidence']:.2f})" if "confidence" in f else ""
        out.print(f"format: [bold]{f['format']}[/]{sure} for {name}, {f['lines']:,} lines")
    g = doc["grouping"]
    out.print(f"grouping: [bold]{g.get('kind')}[/] {g.get('reason', '')}")
    out.print(f"{doc['lines']:,} lines ({doc['quarantined']:,} quarantined), {doc['templates']:,} templates, "
              f"{doc['sequences']:,} sequences")
    share = doc.get("share")
    used = "" if share in (None, doc["expected_share"]) else f", {share:.1%} by the history's rare templates"
    out.print(f"detector: [bold]{doc['detector']}[/]; expected share of anomalies {doc['expected_share']:.1%}{used} "
              f"-> {doc['flagged_share']:.1%} of the history flagged")
    if doc["rarest_templates"]:
        table = Table(title="rarest templates (in fewest sequences)")
        table.add_column("id")
        table.add_column("sequences")
        table.add_column("template")
        for t in doc["rarest_templates"]:
            table.add_row(str(t["template_id"]), str(t["sequences"]), t["template"])
        out.print(table)
    if doc.get("alpha"):
        a = doc["alpha"]
        out.print(f"LLM labels (no human label): {a['llm_answered']} of {a['llm_annotated']} representatives answered, "
                  f"{a['labels']['abnormal']:,} abnormal / {a['labels']['normal']:,} normal after propagation; "
                  f"agreement with the label-free model {a['agreement_with_label_free']}; kept: {a['kept']}")
    out.print(f"saved to {doc['out']}; next: logsieve detect FILE --model {doc['out']}")


class _Bar:
    """A rich progress line per step on stderr, only when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled, self._progress, self._tasks = enabled, None, {}

    def __enter__(self) -> _Bar:
        if self.enabled:
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}: {task.completed:,}"),
                                      TimeElapsedColumn(), console=err, transient=True)
            self._progress.start()
        return self

    def hook(self, step: str, done: int, total: int | None) -> None:
        if self._progress is None:
            return
        if step not in self._tasks:
            self._tasks[step] = self._progress.add_task(step, total=total)
        self._progress.update(self._tasks[step], completed=done)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
