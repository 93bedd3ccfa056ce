"""Redaction: a corpus of real-looking secrets and log lines, properties over generated ones,
and the OpenAI-compatible backend sending only redacted text (on by default, off on request)."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from http_receiver import LocalReceiver

from logsieve.llm import Expert, HttpConfig, make_backend
from logsieve.llm.redact import RedactConfig, Redactor, redact
from logsieve.records import LogRecord, ParsedLine, Sequence

CASES = [json.loads(line) for line in (Path(__file__).parent / "data" / "redaction_cases.jsonl").open()]


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:40] for c in CASES])
def test_corpus_secrets_masked_and_evidence_kept(case):
    out = redact(case["text"])
    for secret in case["secrets"]:
        assert secret not in out
    for kept in case["keep"]:
        assert kept in out
    if not case["secrets"]:
        assert out == case["text"]  # ordinary log lines pass untouched


def test_ips_only_by_choice_and_only_real_addresses():
    line = "src: /10.250.19.102:54106 v6 fe80::1%eth0 at 12:30:45 version 1.2.3.4000"
    assert redact(line) == line
    out = redact(line, RedactConfig(ips=True))
    assert "10.250.19.102" not in out and "fe80::1" not in out
    assert "12:30:45" in out and "1.2.3.4000" in out


def test_off_and_extra_patterns():
    assert redact("password=x", RedactConfig(enabled=False)) == "password=x"
    assert redact("customer C-12345 ok", RedactConfig(extra_patterns=[r"C-\d{5}"])) == "customer <REDACTED> ok"
    with pytest.raises(ValueError, match="not a valid regular expression"):
        RedactConfig(extra_patterns=["("])


# ----------------------------------------------------------------------------- properties

B64URL = string.ascii_letters + string.digits + "-_"
filler = st.text(alphabet=string.ascii_letters + string.digits + " .,:;-_/()[]#", max_size=40)


def _s(alphabet: str, lo: int, hi: int):
    return st.text(alphabet=alphabet, min_size=lo, max_size=hi)


aws = _s(string.ascii_uppercase + string.digits, 16, 16).map(lambda s: "AKIA" + s)
jwt = st.tuples(_s(B64URL, 4, 40), _s(B64URL, 4, 80), _s(B64URL, 0, 43)).map(lambda t: f"eyJ{t[0]}.{t[1]}.{t[2]}")
bearer_token = _s(string.ascii_letters + string.digits + "-._~+/", 8, 60)
value = _s(string.ascii_letters + string.digits + "!@#$%^*-_./+", 1, 30)
key = st.sampled_from(["password", "passwd", "pwd", "secret", "api_key", "apiKey", "token", "client_secret",
                       "DB_PASSWORD", "aws_secret_access_key", "x-api-key", "auth_token"])
sep = st.sampled_from(["=", ": ", " = ", "\": \"", ":"])
email = st.tuples(_s(string.ascii_lowercase + string.digits, 1, 12), _s(string.ascii_lowercase + string.digits + "._+-", 0, 12),
                  st.lists(_s(string.ascii_lowercase + string.digits, 1, 12), min_size=1, max_size=3),
                  _s(string.ascii_lowercase, 2, 6)).map(lambda t: f"{t[0]}{t[1]}@{'.'.join(t[2])}.{t[3]}")
pem_body = _s(string.ascii_letters + string.digits + "+/=", 20, 200)
fast = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(filler, st.one_of(aws, jwt, email), filler)
def test_generated_standalone_secrets_never_survive(before, secret, after):
    assume(secret not in before + after)
    out = redact(f"{before} {secret} {after}")
    assert secret not in out


@fast
@given(filler, st.sampled_from(["Bearer", "bearer", "Authorization: Bearer", "Basic"]), bearer_token, filler)
def test_generated_bearer_tokens_never_survive(before, scheme, token, after):
    assume(token not in before + after)
    out = redact(f"{before} {scheme} {token} {after}")
    assert token not in out


@fast
@given(filler, key, sep, value, filler)
def test_generated_key_value_secrets_never_survive(before, k, s, v, after):
    assume(len(v) >= 4 and v not in before + after + k + "<SECRET>")
    out = redact(f"{before} {k}{s}{v} {after}")
    assert v not in out
    assert f"{k}{s}<" in out  # the key stays: the model learns a credential was involved


@fast
@given(filler, pem_body, filler)
def test_generated_private_keys_never_survive(before, body, after):
    assume(body not in before + after)
    pem = f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----"
    assert body not in redact(f"{before} {pem} {after}")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400), st.booleans())
def test_any_text_is_safe_and_redacting_twice_changes_nothing(text, ips):
    r = Redactor(RedactConfig(ips=ips))
    once = r.redact(text)
    assert r.redact(once) == once


words = st.sampled_from(["Receiving", "block", "blk_-160899", "src:", "/10.250.19.102:54106", "terminating",
                         "PacketResponder", "INFO", "WARN", "dfs.DataNode", "081109", "203615", "for", "of", "size",
                         "67108864", "Exception", "in", "receiveBlock", "java.io.IOException:", "Connection",
                         "reset", "by", "peer", "user", "root", "login", "failed", "token", "expired"])


@fast
@given(st.lists(words, min_size=1, max_size=25))
def test_ordinary_log_lines_are_untouched(parts):
    line = " ".join(parts)
    assert redact(line) == line


# ------------------------------------------------------------------- the remote backend

def _verdict_answer(_: dict) -> tuple[int, bytes]:
    """An OpenAI-compatible chat completion holding one valid verdict."""
    text = '{"status": "abnormal", "explanation": "a failed login", "lines": [0]}'
    return 200, json.dumps({"choices": [{"message": {"content": text}}], "usage": {}}).encode()


def _capture() -> LocalReceiver:
    return LocalReceiver(_verdict_answer, path="/v1")


SECRETS = ["hunter2", "AKIAIOSFODNN7EXAMPLE", "ops@example.com"]


def _leaky_sequence() -> tuple[Sequence, dict[int, str]]:
    t = {1: "login failed for <*> password=<*>", 2: "uploading with key <*>"}
    s = Sequence("s1")
    s.append(ParsedLine(LogRecord("a.log", 1, "c", {}, None), 1, t[1], ("ops@example.com", "hunter2")))
    s.append(ParsedLine(LogRecord("a.log", 2, "c", {}, None), 2, t[2], ("AKIAIOSFODNN7EXAMPLE",)))
    # a template that itself holds a secret (the catalogue in the system prompt must be masked too)
    t[3] = "retry with token=s3cr3tTok9 now"
    s.append(ParsedLine(LogRecord("a.log", 3, "c", {}, None), 3, t[3], ()))
    return s, t


@pytest.mark.parametrize("setting", [None, True, False, {"enabled": True, "ips": True}])
def test_remote_backend_redacts_by_default_and_can_be_turned_off(setting):
    srv = _capture()
    try:
        kw = {} if setting is None else {"redact": setting}
        backend = make_backend(HttpConfig(base_url=srv.url, backoff_s=0, **kw).model_dump())
        s, t = _leaky_sequence()
        answer = Expert(backend).judge(s, t)
        backend.close()
    finally:
        srv.close()
    assert answer.ok
    sent = json.dumps(srv.bodies[0]["messages"])
    leaked = [x for x in SECRETS + ["s3cr3tTok9"] if x in sent]
    if setting is False:
        assert leaked  # off means off: the server sees the text as it is
    else:
        assert leaked == [] and "<SECRET>" in sent and "<AWS_KEY>" in sent
        assert srv.bodies[0]["messages"][0]["role"] == "system"
