"""Masking rules: YAML loading, validation errors, token semantics."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logsieve.parsing import Masker, MaskingConfig


def test_default_rules_load_from_the_package():
    cfg = MaskingConfig.default()
    assert [r.name for r in cfg.rules] == [
        "date", "quantity", "url", "ip_port", "domain", "hex", "path", "digits", "key_value",
    ]


def test_user_yaml_adds_rules(tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text("version: 1\nrules:\n  - {name: user, kind: token, pattern: '^user_'}\n")
    m = Masker(MaskingConfig.from_yaml(f))
    assert m.mask("login user_17 ok") == ["login", "<*>", "ok"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("rules:\n  - {name: bad, pattern: '('}\n", "not a valid regex"),
        ("version: 9\nrules: []\n", "version 9"),
        ("just: text\n", "rules"),
        ("rules:\n  - {name: x, pattern: a, colour: red}\n", "colour"),
    ],
)
def test_bad_masking_files_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        MaskingConfig.from_yaml_text(text)


@given(st.text(max_size=200))
def test_raw_and_masked_tokens_stay_aligned(text):
    raw, masked = Masker(MaskingConfig.default()).split(text)
    assert len(raw) == len(masked)
    # nothing is lost: the raw tokens hold exactly the line's non-space characters, in order
    assert "".join("".join(t.split()) for t in raw) == "".join(text.split())


_QTY = st.sampled_from(["451 bytes", "9059 bytes (8.84 KB)", "<1 sec", "0.5 seconds", "12 ms"])


@given(_QTY, _QTY)
def test_quantities_of_any_token_count_mask_to_one_token(a, b):
    m = Masker(MaskingConfig.default())
    line = "host close, {} sent, {} received"
    assert m.mask(line.format(a, b)) == ["host", "close,", "<*>", "sent,", "<*>", "received"]
    raw, _ = m.split(line.format(a, b))
    assert raw[2] == a and raw[4] == b


@pytest.mark.parametrize(
    "line, expected",
    [
        ("connection from 1.2.3.4 at Fri Jul  1 07:57:30 2005", ["connection", "from", "<*>", "at", "<*>"]),
        ("open through proxy.cse.cuhk.edu.hk:5070 HTTPS", ["open", "through", "<*>", "HTTPS"]),
        # a Java package is a reversed domain and stays a word
        ("com.apple.Safari.Update: ok", ["com.apple.Safari.Update:", "ok"]),
        # a word with one trailing digit names something; longer digit runs are values
        ("port 22 ssh2 via eth0 SOCKS5 job42", ["port", "<*>", "ssh2", "via", "eth0", "SOCKS5", "<*>"]),
        ("job 4242 part-00081 uid=0", ["job", "<*>", "<*>", "uid=<*>"]),
        # a key=value value is a variable whether it is a number, a word or empty
        ("logname= tty=NODEVssh user=root", ["logname=<*>", "tty=<*>", "user=<*>"]),
        ("f(state=ok) a=b,c=d; x==y", ["f(state=<*>)", "a=<*>,c=<*>;", "x==y"]),
        # a value an earlier rule masked in part keeps that masking
        ("local=/10.251.107.98:46828 a2=b", ["local=/<*>", "<*>=<*>"]),
    ],
)
def test_default_rules_on_typical_lines(line, expected):
    assert Masker(MaskingConfig.default()).mask(line) == expected


def test_user_span_rule(tmp_path):
    f = tmp_path / "m.yaml"
    f.write_text("version: 1\nrules:\n  - {name: dur, kind: span, pattern: 'took \\d+ \\w+'}\n")
    m = Masker(MaskingConfig.from_yaml(f))
    assert m.split("job took 5 minutes ok") == (["job", "took 5 minutes", "ok"], ["job", "<*>", "ok"])


_KEY = st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True)
_WORD = st.from_regex(r"[A-Za-z_./:-]{0,12}", fullmatch=True)


@given(_KEY, _WORD, _WORD)
def test_key_value_lines_differing_only_in_values_mask_alike(key, a, b):
    # so a word value never counts as a change of template in Drain
    m = Masker(MaskingConfig.default())
    assert m.mask(f"failure; {key}={a} done") == m.mask(f"failure; {key}={b} done")
    assert m.mask(f"failure; {key}={a} done")[1] == f"{key}=<*>"
