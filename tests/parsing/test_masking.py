"""Masking rules: YAML loading, validation errors, token semantics."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logsieve.parsing import Masker, MaskingConfig


def test_default_rules_load_from_the_package():
    cfg = MaskingConfig.default()
    assert [r.name for r in cfg.rules] == ["url", "ip_port", "hex", "path", "digits"]


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
def test_masking_never_changes_the_token_count(text):
    assert len(Masker(MaskingConfig.default()).mask(text)) == len(text.split())
