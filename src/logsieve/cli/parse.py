"""Parsing commands: ``formats``, ``parse``, ``templates`` and ``evaluate parsing``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table

from logsieve.cli._common import app, emit_json, err, evaluate_app, fail, out, read_config
if TYPE_CHECKING:
    from logsieve.parsing import MaskingConfig
    from logsieve.parsing.stamp import StampFactory


def _drain_config(cfg, masking: Optional[Path]):
    from logsieve.parsing import MaskingConfig

    if masking is None:
        return cfg.parser
    try:
        rules = MaskingConfig.from_yaml(masking)
    except (OSError, ValueError) as exc:
        fail(f"cannot use masking file {masking}: {exc}")
    return cfg.parser.model_copy(update={"masking": rules})


@app.command()
def formats(
    detect: Annotated[Optional[list[str]], typer.Option("--detect", help="Detect the format of FILE (a file, .gz, or a directory: one result per file). Repeat for several; extra FILE arguments count too.")] = None,
    files: Annotated[Optional[list[str]], typer.Argument(help="More files to detect (with --detect).", show_default=False)] = None,
    formats_file: Annotated[list[Path], typer.Option("--formats-file", help="Extra YAML file of formats.")] = [],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON (with --detect: one object per file, the last line the last file's).")] = False,
) -> None:
    """List the log formats logsieve knows (the 16 loghub presets, `raw`, the JSON / logfmt /
    syslog / container families, `stamped`, and your own), or, with --detect FILE, say which
    one a file is written in and how sure that is.

    Example: logsieve formats --detect /var/log/syslog --json
    """
    from logsieve.ingest import list_formats

    if detect or files:
        _detect_formats([*(detect or []), *(files or [])], tuple(formats_file), json_out)
        return
    try:
        fmts = list_formats(extra_paths=tuple(formats_file))
    except (OSError, ValueError) as exc:
        fail(str(exc))
    if json_out:
        emit_json({"formats": {f.name: f.pattern for f in fmts}})
        return
    table = Table(title="log formats")
    table.add_column("name", style="bold")
    table.add_column("header template")
    for f in fmts:
        table.add_row(f.name, f.pattern)
    out.print(table)


def _detect_formats(names: list[str], formats_files: tuple[Path, ...], json_out: bool) -> None:
    """``formats --detect``: one guess per file (directories and globs expanded)."""
    from logsieve.ingest.detect import detect_file_format
    from logsieve.ingest.formats import load_formats
    from logsieve.ingest.sources import expand_sources
    from logsieve.records import QuarantineRecord

    try:
        candidates = list(load_formats(*formats_files).values())
    except (OSError, ValueError) as exc:
        fail(str(exc))
    guesses, failures = [], []
    for src in expand_sources(names):
        if isinstance(src, QuarantineRecord):
            failures.append(src.detail)
            continue
        try:
            guesses.append(detect_file_format(src, formats=candidates))  # type: ignore[arg-type]
        except OSError as exc:
            failures.append(f"cannot read {src}: {exc.strerror or exc}")
    for problem in failures:
        err.print(f"[red]{problem}[/]")
    if not guesses:
        fail("no file to detect")
    if json_out:
        for guess in guesses:
            emit_json(guess.as_dict())
        return
    table = Table(title="detected log formats")
    for col in ("file", "format", "sure", "family", "multi-line", "next best"):
        table.add_column(col, overflow="fold")
    for g in guesses:
        alts = ", ".join(f"{n} {s:.2f}" for n, s in g.alternatives)
        table.add_row(g.source or "", g.format, f"{g.confidence:.2f}", g.family, "yes" if g.multiline else "no", alts)
    out.print(table)


@app.command()
def parse(
    files: Annotated[list[str], typer.Argument(help="Log files, .gz files, directories, globs, or - for stdin.")],
    log_format: Annotated[str, typer.Option("--format", "-f", help="Log format name (see `logsieve formats`), or auto: detected per file from its first lines.")] = "auto",
    multiline: Annotated[Optional[bool], typer.Option("--multiline/--no-multiline", help="Join lines that do not fit the format to the record before them (stack traces). Default: as detected with --format auto, off with a named format.", show_default=False)] = None,
    state: Annotated[Optional[Path], typer.Option(help="Directory for the parser state: loaded if present, saved after.")] = None,
    out_path: Annotated[Optional[Path], typer.Option("--out", help="Write parsed lines to PATH.csv or PATH.parquet.")] = None,
    config: Annotated[Optional[Path], typer.Option(help="YAML config (ingest:, parser:).")] = None,
    masking: Annotated[Optional[Path], typer.Option(help="YAML file of masking rules replacing the defaults.")] = None,
    formats_file: Annotated[list[Path], typer.Option("--formats-file", help="Extra YAML file of formats.")] = [],
    match_only: Annotated[bool, typer.Option("--match-only", help="Match against the saved templates; learn nothing.")] = False,
    parser_kind: Annotated[str, typer.Option("--parser", help="drain (online from the first line) or stamp (learned LogStamp tagger: trains on the head of the input first, needs the ml extra).")] = "drain",
    train_lines: Annotated[Optional[int], typer.Option(help="LogStamp: lines to train on. Default: the first 10% of the files (at most 100,000), or 5,000 from stdin.")] = None,
    quarantine: Annotated[Optional[Path], typer.Option(help="Write quarantined lines (JSONL) here. Default: next to --out.")] = None,
    top: Annotated[int, typer.Option(help="How many templates the summary table shows.")] = 15,
    json_out: Annotated[bool, typer.Option("--json", help="Last line of stdout is a JSON summary.")] = False,
    read_ahead: Annotated[bool, typer.Option("--read-ahead/--no-read-ahead", help="Read large files (1 MB and up) in a second process while this one parses (Linux, 2 or more cores); --no-read-ahead reads in one process. The output is the same either way.")] = True,
) -> None:
    """Parse log lines into templates with the online Drain parser (or the learned LogStamp).

    Lines that do not match the format, cannot be decoded or are too long are quarantined with
    their reason and counted (lines = parsed + quarantined). With --state, template ids stay
    stable across runs and new templates are reported as drift; a LogStamp state also keeps the
    trained tagger, so the next run skips training.

    With --format auto (the default) each file's format is detected from its first lines and
    printed to stderr (format: HDFS (sure: 1.00) for app.log); multi-line records (stack
    traces) are joined to their first line when the file looks like it has them.

    Example: logsieve parse HDFS.log.gz --format HDFS --state .logsieve/hdfs --out parsed.csv

    Example: logsieve parse HDFS.log.gz --format HDFS --parser stamp --state .logsieve/hdfs-stamp
    """
    from logsieve.ingest import get_format, load_formats
    from logsieve.ingest.formats import AUTO
    from logsieve.jobs.output import QuarantineWriter, write_parsed
    from logsieve.jobs.parse import ParseJobConfig, run_parse
    from logsieve.parsing import StateVersionError

    cfg = read_config(config)
    drain_cfg = _drain_config(cfg, masking)
    extra = tuple(formats_file) + tuple(cfg.ingest.formats_files)
    fmt = log_format
    try:
        if log_format.lower() == AUTO:
            load_formats(*extra)  # a broken formats file fails here, not half-way through
        else:
            fmt = get_format(log_format, extra_paths=extra)
    except (KeyError, ValueError, OSError) as exc:
        fail(str(exc).strip("'\""))
    if match_only and state is None:
        fail("--match-only needs --state DIR with templates learned by an earlier run")
    if parser_kind not in ("drain", "stamp"):
        fail(f"--parser must be drain or stamp, got {parser_kind!r}")
    stamp_cfg = None
    if parser_kind == "stamp":
        from logsieve._optional import MissingExtraError

        try:
            from logsieve.parsing.stamp import StampConfig

            stamp_cfg = StampConfig(masking=drain_cfg.masking)
        except MissingExtraError as exc:
            fail(str(exc))
    if out_path is not None and out_path.suffix.lower() not in (".csv", ".parquet"):
        fail(f"--out must end in .csv or .parquet, got {out_path.name!r}")
    q_path = quarantine or (out_path.with_suffix(".quarantine.jsonl") if out_path else None)
    qwriter = QuarantineWriter(q_path) if q_path else None
    job = ParseJobConfig(
        sources=tuple(files),
        log_format=fmt,
        drain=drain_cfg,
        state=state,
        learn=not match_only,
        max_line_bytes=cfg.ingest.max_line_bytes,
        parser=parser_kind,  # type: ignore[arg-type]
        stamp=stamp_cfg,
        train_lines=train_lines,
        formats_files=extra,
        multiline=multiline,
        on_format=lambda _name, guess: err.print(guess.describe(), markup=False, highlight=False, soft_wrap=True),
        read_ahead=read_ahead,
    )
    sink = (lambda lines: write_parsed(lines, out_path)) if out_path else None
    try:
        with _progress(enabled=err.is_terminal) as hook:
            summary, parser = run_parse(job, sink=sink, on_quarantine=qwriter, progress=hook)
    except StateVersionError as exc:
        fail(str(exc))
    except (RuntimeError, OSError, ImportError) as exc:  # ImportError: MissingExtraError names the extra
        fail(str(exc))
    finally:
        if qwriter is not None:
            qwriter.close()
    result = summary.as_dict()
    result["out"] = str(out_path) if out_path else None
    result["quarantine_file"] = str(q_path) if q_path else None
    if json_out:
        emit_json(result)
        return
    _print_parse_summary(result, parser, top)


class _progress:
    """A rich progress line on stderr, only when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            SpinnerColumn(), TextColumn("parsing {task.fields[lines]:,} lines"), TimeElapsedColumn(),
            console=err, transient=True,
        )
        self._progress.start()
        task = self._progress.add_task("parse", total=None, lines=0)
        return lambda n: self._progress.update(task, lines=n)

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()


def _templates_table(title: str, items) -> Table:
    table = Table(title=title)
    table.add_column("id", justify="right")
    table.add_column("lines", justify="right")
    table.add_column("template", overflow="fold")
    for t in items:
        table.add_row(str(t.id), f"{t.size:,}", t.text)
    return table


def _print_parse_summary(result: dict, parser, top: int) -> None:
    out.print(
        f"[bold]{result['lines']:,}[/] lines read: {result['parsed']:,} parsed, "
        f"{result['quarantined']:,} quarantined; [bold]{result['templates']}[/] templates "
        f"({result['new_templates']} new) in {result['seconds']:.2f}s "
        f"({result['lines_per_s']:,.0f} lines/s)"
    )
    if result["quarantine_reasons"]:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(result["quarantine_reasons"].items()))
        out.print(f"quarantine reasons: {reasons}")
    ranked = sorted(parser.templates, key=lambda t: -t.size)[:top]
    out.print(_templates_table(f"top {len(ranked)} templates by lines", ranked))
    if result.get("state"):
        out.print(f"state saved to {result['state']}")
    if result.get("out"):
        out.print(f"parsed lines written to {result['out']}")


@app.command()
def templates(
    state: Annotated[Path, typer.Option(help="State directory written by `logsieve parse --state`.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the templates held in a saved parser state (Drain or LogStamp)."""
    from logsieve.parsing import DrainParser, StateVersionError
    from logsieve.parsing.stamp import STAMP_META

    try:
        if (state / STAMP_META).exists():
            from logsieve.parsing.stamp import StampParser

            parser = StampParser.load(state)
        else:
            parser = DrainParser.load(state)
    except (FileNotFoundError, StateVersionError, ImportError) as exc:
        fail(str(exc))
    items = sorted(parser.templates, key=lambda t: t.id)
    if json_out:
        emit_json({"templates": [{"id": t.id, "lines": t.size, "template": t.text} for t in items]})
        return
    out.print(_templates_table(f"{len(items)} templates in {state}", items))


@evaluate_app.command("parsing")
def evaluate_parsing_cmd(
    dataset: Annotated[str, typer.Option(help="loghub2k/<System>, loghub2k/all, loghub2/<System>, loghub2/all, or a structured CSV path.")] = "loghub2k/all",
    data_dir: Annotated[Optional[Path], typer.Option(help="Folder holding loghub_2k/ (default: ../shared/data or $LOGSIEVE_DATA_DIR).")] = None,
    config: Annotated[Optional[Path], typer.Option(help="YAML config whose parser: section is used.")] = None,
    masking: Annotated[Optional[Path], typer.Option(help="YAML file of masking rules replacing the defaults.")] = None,
    parser_name: Annotated[str, typer.Option("--parser", help="Parser to evaluate: drain, or stamp (LogStamp, trained on the first 10% of each data set).")] = "drain",
    json_out: Annotated[bool, typer.Option("--json", help="Last line of stdout is a JSON summary.")] = False,
) -> None:
    """Parsing accuracy (GA, PA, FGA, FTA, RandIndex) and speed on labelled data sets.

    Each data set is parsed online from an empty parser with the default (or configured)
    settings; no setting is tuned on the data being scored. With --parser stamp each data set
    first trains a LogStamp tagger on its first 10% (train_seconds), then all lines are parsed.
    """
    from logsieve.evaluate.loghub import resolve_parsing_datasets
    from logsieve.evaluate.parsing_eval import METRICS, evaluate_parsing

    if parser_name not in ("drain", "stamp"):
        fail(f"unknown parser {parser_name!r}; available: drain, stamp")
    cfg = read_config(config)
    drain_cfg = _drain_config(cfg, masking)
    try:
        datasets = resolve_parsing_datasets(dataset, data_dir)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        fail(str(exc).strip("'\""))
    make_parser = _stamp_factory(drain_cfg.masking) if parser_name == "stamp" else None
    report = evaluate_parsing(datasets, drain_cfg, make_parser=make_parser)
    report["parser"] = parser_name
    if json_out:
        emit_json(report)
        return
    table = Table(title=f"parsing accuracy: {dataset} ({parser_name})")
    table.add_column("data set", style="bold")
    for m in METRICS:
        table.add_column(m, justify="right")
    table.add_column("templates", justify="right")
    table.add_column("lines/s", justify="right")
    for name, r in report["per_dataset"].items():
        table.add_row(name, *(f"{r[m]:.3f}" for m in METRICS), f"{r['templates']}/{r['gt_templates']}", f"{r['lines_per_s']:,.0f}")
    table.add_section()
    table.add_row("average", *(f"{report[m]:.3f}" for m in METRICS), "", f"{report['lines_per_s']:,.0f}", style="bold")
    out.print(table)
    if "train_seconds" in report:
        out.print(f"training: {report['train_seconds']:.1f}s over {report['datasets']} data sets (not in lines/s)")


def _stamp_factory(masking: MaskingConfig) -> StampFactory:
    """A LogStamp parser maker sharing one MiniLM and one GloVe; missing extras fail cleanly.

    Only the masking of the configured parser applies: the rest of ``parser:`` is Drain's.
    """
    from logsieve._optional import MissingExtraError

    try:
        from logsieve.parsing.stamp import StampConfig, StampFactory

        return StampFactory(StampConfig(masking=masking))
    except MissingExtraError as exc:
        fail(str(exc))
