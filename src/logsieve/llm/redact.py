"""Mask secrets in log text before it leaves the machine (a remote LLM, an alert receiver).

Logs carry credentials more often than anyone intends: a bearer token in a request dump, a
password in a connection string, an AWS key in an SDK debug line. A hosted LLM is a third
party, so the OpenAI-compatible backend redacts every message by default (``redact`` in its
config); the embedded model runs in-process and sees the text as is.

Each kind of secret becomes a fixed placeholder (``<JWT>``, ``<AWS_KEY>``, ...). Fixed, not
numbered: the same line always redacts to the same text, so prompt caching and the knowledge
table keep working, and redacting twice changes nothing. The key of a ``key=value`` pair is
kept (``password=<SECRET>``): the model still learns that a password was involved.

What is masked: PEM private keys, JWTs, ``Bearer``/``Basic`` credentials, AWS access key ids,
well-known token formats (GitHub, Slack, OpenAI-style ``sk-``, Google API keys, Stripe),
credentials in URLs (``://user:pass@``), values of secret-named keys (``password``,
``secret``, ``token``, ``api_key``, ...) in ``k=v``, ``k: v`` and JSON, e-mail addresses, and
optionally IPv4/IPv6 addresses. Regular expressions find the usual shapes; they are a safety
net, not a guarantee, and custom ones can be added (``extra_patterns``).
"""

from __future__ import annotations

import ipaddress
import re
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field, field_validator


class RedactConfig(BaseModel):
    """What to mask. ``ips`` is off by default: addresses are often the evidence (which node
    failed) and rarely secret; turn it on when they identify customers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    emails: bool = True
    ips: bool = False
    extra_patterns: list[str] = Field(default_factory=list)
    """More regular expressions; each whole match becomes ``<REDACTED>``."""

    @field_validator("extra_patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for p in patterns:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"redaction pattern {p!r} is not a valid regular expression: {exc}") from exc
        return patterns


_SECRET_KEYS = (r"(?:passw(?:or)?d|pass|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key"
                r"|private[_-]?key|client[_-]?secret|auth[_-]?token|credentials?|session[_-]?id|sessionid"
                r"|cookie|signature|x-api-key)")

# (name, pattern, replacement): applied in this order; earlier, more specific shapes first so a
# JWT inside "token=..." comes out as token=<JWT>, not token=<SECRET>.
_RULES: tuple[tuple[str, str, str], ...] = (
    ("private_key",
     r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:.*?-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|.*)",
     "<PRIVATE_KEY>"),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*", "<JWT>"),
    # (not when a "=" or ":" follows: "Bearer password=x" is a key=value pair, masked below)
    ("auth_scheme", r"(?i)\b(bearer|basic)(\s+)(?!<[A-Z_]+>)[A-Za-z0-9\-._~+/]{8,}=*(?![A-Za-z0-9\-._~+/=:])",
     r"\1\2<TOKEN>"),
    # "token abc123...": only when the value has a digit, so "token expired" stays prose
    ("token_word", r"(?i)\b(token)(\s+)(?!<[A-Z_]+>)(?=[A-Za-z\-._~+/]*\d)[A-Za-z0-9\-._~+/]{12,}=*"
     r"(?![A-Za-z0-9\-._~+/=:])", r"\1\2<TOKEN>"),
    ("aws_key_id", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b", "<AWS_KEY>"),
    ("github_token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})", "<TOKEN>"),
    ("slack_token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}", "<TOKEN>"),
    ("sk_token", r"\b(?:sk|rk|pk)[-_](?:live_|test_|proj-|ant-)?[A-Za-z0-9_-]{20,}", "<TOKEN>"),
    ("google_key", r"\bAIza[0-9A-Za-z_-]{35}", "<TOKEN>"),
    ("url_credentials", r"(?i)\b([a-z][a-z0-9+.-]{1,20}://[^\s:/@<>]{0,128}):[^\s@/<>]{1,256}@", r"\1:<SECRET>@"),
    # key=value / key: value / "key": "value", the key kept; a value already masked is left alone
    ("key_value",
     r"(?i)((?<![A-Za-z0-9])[\w.-]{0,40}" + _SECRET_KEYS + r"[\w.-]{0,20}[\"']?\s*[:=]\s*[\"']?)"
     r"(?!<[A-Z_]+>)([^\s\"',;&)}\]]{1,512})",
     r"\1<SECRET>"),
)

_EMAIL = r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}\b"
_IPV4 = r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])"
_IPV6 = r"(?<![:\w])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![:\w])"


class Redactor:
    """Applies one :class:`RedactConfig`; cheap to call, safe on any text, idempotent."""

    def __init__(self, config: RedactConfig | None = None) -> None:
        self.config = config or RedactConfig()

    @cached_property
    def _compiled(self) -> list[tuple[re.Pattern[str], str]]:
        cfg = self.config
        rules = [(re.compile(p, re.DOTALL), repl) for _, p, repl in _RULES]
        if cfg.emails:
            rules.append((re.compile(_EMAIL), "<EMAIL>"))
        rules += [(re.compile(p), "<REDACTED>") for p in cfg.extra_patterns]
        return rules

    def redact(self, text: str) -> str:
        if not self.config.enabled or not text:
            return text
        for pattern, repl in self._compiled:
            text = pattern.sub(repl, text)
        if self.config.ips:
            text = re.sub(_IPV4, _ip_or_same, text)
            text = re.sub(_IPV6, _ip_or_same, text)
        return text

    def redact_messages(self, messages: list[dict[str, str]]) -> list[dict[str, str]]:
        """Chat messages with every ``content`` redacted (roles and other keys untouched)."""
        return [{**m, "content": self.redact(m["content"])} if isinstance(m.get("content"), str) else m
                for m in messages]


def _ip_or_same(match: re.Match[str]) -> str:
    # the regexes over-match (times like 12:30:45, versions like 1.2.3.4000); only real
    # addresses are masked
    text = match.group(0)
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return text
    return "<IP>"


def redact(text: str, config: RedactConfig | None = None) -> str:
    """One-off convenience: :class:`Redactor` (``config`` or the defaults) applied to ``text``."""
    return Redactor(config).redact(text)
