"""Helpers shared by the ingest tests (a plain module: conftest is for fixtures)."""

from __future__ import annotations

import re

SYSTEMS = ("Android", "Apache", "BGL", "HDFS", "HPC", "Hadoop", "HealthApp", "Linux", "Mac", "OpenSSH",
           "OpenStack", "Proxifier", "Spark", "Thunderbird", "Windows", "Zookeeper")  # fmt: skip


def logparser_regex(pattern: str) -> re.Pattern[str]:
    """The plain logparser-style regex (every field lazy, no safeguards): the reference that
    logsieve's compiled formats must agree with wherever they match."""
    out = []
    for k, part in enumerate(re.split(r"(<[^<>]+>)", pattern)):
        out.append(re.sub(" +", r"\\s+", part) if k % 2 == 0 else f"(?P<{part[1:-1]}>.*?)")
    return re.compile("^" + "".join(out) + "$", re.DOTALL)


def logparser_parse(regex: re.Pattern[str], line: str, strip: bool) -> tuple[dict[str, str], str] | None:
    m = regex.search(line.strip() if strip else line)
    if m is None:
        return None
    fields = {k: v or "" for k, v in m.groupdict().items()}
    return fields, fields.pop("Content")
