"""Template -> words: wildcards, punctuation and digits out; camelCase and snake_case split."""

from __future__ import annotations

from logsieve.features.words import template_words


def test_splits_camel_and_snake_case_and_drops_wildcards_digits_punctuation():
    t = "BLOCK* NameSystem.addStoredBlock: blockMap updated: <*> is added to blk_<*> size 42"
    assert template_words(t) == [
        "block", "name", "system", "add", "stored", "block", "block", "map", "updated",
        "is", "added", "to", "blk", "size",
    ]
    assert template_words("HTTPServer get_IP_address x86_64") == [
        "http", "server", "get", "ip", "address", "x",
    ]


def test_min_len_drops_fragments_and_wildcard_only_templates_have_no_words():
    assert template_words("datanode(s) <*>", min_len=2) == ["datanode"]
    assert template_words("<*> <*>:<*> 123") == []
