"""Data sets given as event-id sequences plus a template file (``kind: event_ids``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from logsieve.evaluate.datasets import DatasetError, load_dataset, load_dataset_specs, parse_dataset_specs
from logsieve.evaluate.event_ids import SPLIT_METHOD, EventIdsError, EventIdSpec
from logsieve.evaluate.splits import SplitConfig

SPEC = """
version: 1
datasets:
  toy:
    kind: event_ids
    templates: t.csv
    train_normal: [train]
    test_normal: [normal]
    test_abnormal: [abnormal]
    seed: 3
"""


def toy(tmp_path: Path, normal: int = 40, abnormal: int = 16) -> Path:
    (tmp_path / "t.csv").write_text("Claim successful\nCreating image, size <*>\nInstance failed <*>\n")
    (tmp_path / "train").write_text("a,1 2\nb,1 2 2\n")
    (tmp_path / "normal").write_text("".join(f"n{i},1 2\n" for i in range(normal)))
    (tmp_path / "abnormal").write_text("".join(f"x{i},1 3\n" for i in range(abnormal)) + "\n")
    (tmp_path / "sets.yaml").write_text(SPEC)
    return tmp_path / "sets.yaml"


def test_sessions_become_labelled_id_sequences_over_the_template_file(tmp_path):
    spec = load_dataset_specs([toy(tmp_path)])["toy"]
    assert isinstance(spec, EventIdSpec) and spec.with_window_size(5) is spec and not spec.windowed
    ds = load_dataset(spec, tmp_path)
    assert ds.templates == {1: "Claim successful", 2: "Creating image, size <*>", 3: "Instance failed <*>"}
    assert [(s.key, s.template_ids, s.label) for s in ds.splits.train] == [("a", [1, 2], 0), ("b", [1, 2, 2], 0)]
    assert len(ds) == 2 + 40 + 16 and ds.anomalous == 16 and ds.parser is None
    assert all(s.label == (3 in s.template_ids) for s in ds) and all(s.lines == [] for s in ds)
    assert ds.stats.lines == sum(len(s) for s in ds) and ds.summary()["split_method"] == SPLIT_METHOD


def test_validation_is_a_seeded_stratified_random_carve_of_the_test_files(tmp_path):
    spec = load_dataset_specs([toy(tmp_path)])["toy"]
    a, b = load_dataset(spec, tmp_path), load_dataset(spec, tmp_path)
    val = a.splits.validation
    # 0.1 / (0.1 + 0.7) of each label: 5 of 40 normal, 2 of 16 abnormal
    assert sum(s.label == 0 for s in val) == 5 and sum(s.label == 1 for s in val) == 2
    assert [s.key for s in val] == [s.key for s in b.splits.validation]  # same seed, same split
    keys = {s.key for s in val}
    assert not keys & {s.key for s in a.splits.test} and len(keys) + len(a.splits.test) == 56
    other = load_dataset(spec.model_copy(update={"seed": 4}), tmp_path)
    assert {s.key for s in other.splits.validation} != keys
    half = load_dataset(spec, tmp_path, split=SplitConfig(train=0.0, validation=0.5, test=0.5))
    assert len(half.splits.validation) == 28


def test_bad_files_and_specs_say_where(tmp_path):
    toy(tmp_path)
    spec = load_dataset_specs([tmp_path / "sets.yaml"])["toy"]
    (tmp_path / "abnormal").write_text("x1,1 9\n")
    with pytest.raises(EventIdsError, match=r"abnormal:1: event id 9 is not a line of the template file \(3 lines\)"):
        load_dataset(spec, tmp_path)
    (tmp_path / "abnormal").write_text("x1;1 2\n")
    with pytest.raises(EventIdsError, match="abnormal:1: expected"):
        load_dataset(spec, tmp_path)
    with pytest.raises(DatasetError, match="kind 'sql'"):
        parse_dataset_specs(SPEC.replace("event_ids", "sql"), "x.yaml")
    with pytest.raises(DatasetError, match="train_normal or train_abnormal"):
        parse_dataset_specs(SPEC.replace("    train_normal: [train]\n", ""), "x.yaml")


def test_openstack_and_hadoop_ait_have_the_readme_counts(shared_data: Path):
    ops = load_dataset("openstack-ait", shared_data)
    assert [len(p) for p in ops.splits.parts().values()] == [19, 257, 1793]
    assert ops.anomalous == 198 and len(ops.templates) == 92 and ops.splits.summary()["validation"]["anomalous"] == 25
    assert ops.templates[2] == "[instance: <*>] Claim successful"
    hadoop = load_dataset("hadoop-ait", shared_data)
    assert len(hadoop) == 17 + 150 + 811 and hadoop.anomalous == 811 and len(hadoop.templates) == 349
    kalaki = load_dataset("openstack-kalaki-ait", shared_data)
    assert [len(p) for p in kalaki.splits.parts().values()] == [50, 693, 4853] and kalaki.anomalous == 651


def test_the_claim_in_datasets_yaml_about_indistinguishable_openstack_anomalies(shared_data: Path):
    """Why the prompt comparison uses openstack-kalaki-ait: as event ids, Loghub's OpenStack
    anomalies are normal sessions."""
    for name, same in (("openstack-ait", 195), ("openstack-kalaki-ait", 0)):
        ds = load_dataset(name, shared_data)
        normal = {tuple(s.template_ids) for s in ds if s.label == 0}
        assert sum(tuple(s.template_ids) in normal for s in ds if s.label == 1) == same
