"""Alerts against a real HTTP receiver on 127.0.0.1: the three payload shapes, grouping by
pattern, the token bucket, retry with backoff, a receiver that is down, and a full queue."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from http_receiver import LocalReceiver

from logsieve.alerts import AlertConfigError, AlertManager, pattern_key, read_deliveries
from logsieve.collab.verdicts import SequenceVerdict
from logsieve.store import Store


class Receiver(LocalReceiver):
    """Answers each POST with the next status of ``plan`` (the last one repeats) and keeps the bodies."""

    def __init__(self, plan: list[int] | None = None, delay_s: float = 0.0) -> None:
        self.plan = plan or [200]
        super().__init__(self._answer, delay_s=delay_s)

    @property
    def hits(self) -> int:
        return len(self.bodies)

    def _code(self, i: int) -> int:
        return self.plan[min(i, len(self.plan) - 1)]

    def _answer(self, _: dict) -> tuple[int, bytes]:
        return self._code(len(self.bodies) - 1), b"ok"  # called with this body already kept

    def ok_bodies(self) -> list[dict]:
        return [b for i, b in enumerate(self.bodies) if self._code(i) < 300]


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(plan=None, delay_s=0.0) -> Receiver:
        made.append(Receiver(plan, delay_s))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "alerts.db") as s:
        yield s


def anomaly(key: str, tids: list[int], explanation: str = "an exception while receiving", **kw) -> SequenceVerdict:
    kw = {"source": "llm", "score": 0.9, "confidence": 0.8, **kw}
    return SequenceVerdict(key, "abnormal", explanation=explanation, template_ids=tids, start=1_700_000_000.0, **kw)


def sink(kind: str, url: str, **kw) -> dict:
    base = {"kind": kind, "url": url, "backoff_s": 0.01, "retries": 2, "timeout_s": 2.0}
    return {**base, **kw}


def manager(store, sinks, env=None, **kw) -> AlertManager:
    return AlertManager.from_config({"group_wait_s": 0, "window_s": 300, "sinks": sinks, **kw}, store,
                                    env=env or {})


def test_webhook_slack_and_pagerduty_payload_shapes(receiver, store):
    hook, slack, pd = receiver(), receiver(), receiver([202])
    env = {"SLACK_URL": slack.url, "PD_KEY": "routing-key-from-env", "HOOK_TOKEN": "tok-from-env"}
    m = manager(store, [sink("webhook", hook.url, token_env="HOOK_TOKEN"),
                        {"kind": "slack", "url_env": "SLACK_URL", "backoff_s": 0.01},
                        {"kind": "pagerduty", "url": pd.url, "routing_key_env": "PD_KEY", "severity": "critical",
                         "source": "hdfs-prod", "backoff_s": 0.01}], env=env)
    m.handle([anomaly("blk_1", [3, 1, 3, 2], "Exception <in> block & retry"),
              SequenceVerdict("blk_2", "normal", "small", template_ids=[1])])
    m.close()
    pattern = pattern_key([3, 1, 2])

    (w,) = hook.bodies
    assert w["type"] == "logsieve.anomaly" and w["pattern"] == pattern and w["count"] == 1
    assert w["template_ids"] == [3, 1, 2] and w["key"] == "blk_1" and w["dedup_key"] == f"logsieve-{pattern}"
    assert hook.headers[0]["Authorization"] == "Bearer tok-from-env"

    (s,) = slack.bodies
    assert isinstance(s["text"], str) and pattern in s["text"]
    assert [b["type"] for b in s["blocks"]] == ["header", "section", "context"]
    assert s["blocks"][0]["text"]["type"] == "plain_text" and len(s["blocks"][0]["text"]["text"]) <= 150
    section = s["blocks"][1]["text"]
    assert section["type"] == "mrkdwn" and "&lt;in&gt; block &amp; retry" in section["text"]  # escaped

    (p,) = pd.bodies
    assert p["routing_key"] == "routing-key-from-env" and p["event_action"] == "trigger"
    assert p["dedup_key"] == f"logsieve-{pattern}"
    assert p["payload"]["severity"] == "critical" and p["payload"]["source"] == "hdfs-prod"
    assert pattern in p["payload"]["summary"] and len(p["payload"]["summary"]) <= 1024
    assert p["payload"]["custom_details"]["count"] == 1 and p["payload"]["custom_details"]["key"] == "blk_1"

    rows = read_deliveries(store)
    assert sorted((r.sink, r.outcome, r.status_code, r.attempt) for r in rows) == [
        ("pagerduty", "sent", 202, 1), ("slack", "sent", 200, 1), ("webhook", "sent", 200, 1)]
    assert all(r.pattern == pattern for r in rows)


def test_one_alert_per_pattern_per_window_with_its_count(receiver, store):
    hook = receiver()
    m = manager(store, [sink("webhook", hook.url)], group_wait_s=0.4)
    # five sessions failing the same way (repeats and ids differ, the template order does not)
    m.handle([anomaly(f"blk_{i}", [1, 2, 2, 5][: 3 + i % 2] + [5]) for i in range(5)])
    m.handle([anomaly("blk_x", [7, 8])])
    time.sleep(1.0)  # past the grouping wait: both alerts are out
    m.handle([anomaly("blk_late", [1, 2, 5])])  # same pattern, same window: held, not sent
    m.close()
    by_pattern = {b["pattern"]: b for b in hook.bodies}
    assert len(hook.bodies) == 2
    assert by_pattern[pattern_key([1, 2, 5])]["count"] == 5
    assert by_pattern[pattern_key([1, 2, 5])]["keys"] == [f"blk_{i}" for i in range(5)]
    assert by_pattern[pattern_key([7, 8])]["count"] == 1
    assert m.stats()["held"] == 1


def test_a_new_window_reports_what_the_last_one_held(receiver, store):
    hook = receiver()
    m = manager(store, [sink("webhook", hook.url)], window_s=0.3)
    m.handle([anomaly("a", [1, 2])])
    time.sleep(0.1)
    m.handle([anomaly("b", [1, 2]), anomaly("c", [1, 2])])
    time.sleep(0.5)
    m.handle([anomaly("d", [1, 2])])
    m.close()
    assert [(b["key"], b["count"], b["suppressed_before"]) for b in hook.bodies] == [("a", 1, 0), ("d", 1, 2)]


def test_token_bucket_limits_each_sink(receiver, store):
    hook = receiver()
    m = manager(store, [sink("webhook", hook.url, rate_per_min=1, burst=2)])
    m.handle([anomaly(f"k{i}", [i]) for i in range(5)])  # five patterns: five alerts
    m.close()
    assert len(hook.bodies) == 2
    outcomes = sorted(r.outcome for r in read_deliveries(store))
    assert outcomes == ["rate_limited"] * 3 + ["sent"] * 2
    assert m.stats()["sinks"]["webhook"] == {"sent": 2, "rate_limited": 3}


def test_retries_after_500s_then_succeeds(receiver, store):
    hook = receiver([500, 503, 200])
    m = manager(store, [sink("webhook", hook.url, retries=3)])
    m.handle([anomaly("blk_1", [1, 2])])
    m.close()
    rows = read_deliveries(store)
    assert [(r.attempt, r.outcome, r.status_code) for r in rows] == [(1, "retry", 500), (2, "retry", 503),
                                                                      (3, "sent", 200)]
    assert hook.hits == 3 and len(hook.ok_bodies()) == 1


def test_a_4xx_is_not_retried(receiver, store):
    hook = receiver([400])
    m = manager(store, [sink("webhook", hook.url, retries=3)])
    m.handle([anomaly("blk_1", [1, 2])])
    m.close()
    (row,) = read_deliveries(store)
    assert (row.attempt, row.outcome, row.status_code) == (1, "failed", 400) and "not retried" in row.error


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    return port


def test_receiver_down_every_attempt_recorded_nothing_raised(store):
    url = f"http://127.0.0.1:{_closed_port()}/hook"
    m = manager(store, [sink("webhook", url, retries=2), sink("slack", url, retries=1)])
    start = time.perf_counter()
    m.handle([anomaly("blk_1", [1, 2])])
    assert time.perf_counter() - start < 0.1  # detection does not wait for delivery
    m.close(timeout_s=5)
    rows = read_deliveries(store)
    hook = [(r.attempt, r.outcome) for r in rows if r.sink == "webhook"]
    slack = [(r.attempt, r.outcome) for r in rows if r.sink == "slack"]
    assert hook == [(1, "retry"), (2, "retry"), (3, "failed")] and slack == [(1, "retry"), (2, "failed")]
    assert all(r.status_code is None and "cannot reach" in r.error for r in rows)
    assert m.stats()["sinks"]["webhook"]["failed"] == 1


def test_a_full_queue_drops_counted_and_never_blocks(receiver, store):
    hook = receiver()
    m = manager(store, [sink("webhook", hook.url)], queue_size=1)
    gate = threading.Event()
    real_add = m._grouper.add
    m._grouper.add = lambda v, now: (gate.wait(5), real_add(v, now))  # a stuck alert thread
    start = time.perf_counter()
    for i in range(5):
        m.handle([anomaly(f"k{i}", [i])])
        time.sleep(0.02)
    assert time.perf_counter() - start < 1.0
    gate.set()
    m.close()
    st = m.stats()
    assert st["anomalies_dropped"] == 3 and st["anomalies_queued"] == 2 and len(hook.bodies) == 2


def test_a_slow_sink_drops_into_the_log_not_onto_detection(receiver, store):
    slow = receiver(delay_s=0.5)
    m = manager(store, [sink("webhook", slow.url, queue_size=1, burst=10)])
    m.handle([anomaly(f"k{i}", [i]) for i in range(4)])
    m.close(timeout_s=5)
    dropped = [r for r in read_deliveries(store) if r.outcome == "dropped"]
    assert len(dropped) >= 1 and all("queue full" in r.error for r in dropped)
    assert len(slow.bodies) + len(dropped) == 4


def test_missing_secret_fails_at_start_with_the_fix(store):
    with pytest.raises(AlertConfigError, match="PD_KEY is not set"):
        manager(store, [{"kind": "pagerduty", "routing_key_env": "PD_KEY"}], env={})
    with pytest.raises(AlertConfigError, match="SLACK_URL"):
        manager(store, [{"kind": "slack", "url_env": "SLACK_URL"}], env={})
    with pytest.raises(ValueError):  # a secret written into the config itself is refused
        manager(store, [{"kind": "pagerduty", "routing_key": "abc"}])


def test_explanations_are_redacted_before_they_leave(receiver, store):
    hook = receiver()
    m = manager(store, [sink("webhook", hook.url)])
    m.handle([anomaly("blk_1", [1], "login failed password=hunter2 for a@b.io")])
    m.close()
    (body,) = hook.bodies
    assert "hunter2" not in json.dumps(body) and "a@b.io" not in json.dumps(body)
    assert "password=<SECRET>" in body["explanation"]


def test_filters_and_a_manager_without_sinks(receiver, store):
    hook = receiver()
    m = manager(store, [sink("webhook", hook.url)], sources=["llm"], min_score=0.5)
    m.handle([anomaly("a", [1], source="small"), anomaly("b", [2], score=0.1), anomaly("c", [3])])
    m.close()
    assert [b["key"] for b in hook.bodies] == ["c"]
    idle = AlertManager.from_config(None, store)
    idle.handle([anomaly("a", [1])])
    idle.close()
    assert not idle.active and read_deliveries(store, sink="none") == []


def test_close_is_bounded_and_says_what_it_did_not_send(receiver, store):
    slow = receiver(delay_s=1.0)
    m = manager(store, [sink("webhook", slow.url, burst=10)])
    m.handle([anomaly(f"k{i}", [i]) for i in range(4)])
    time.sleep(0.2)
    start = time.perf_counter()
    m.close(timeout_s=0.3)
    assert time.perf_counter() - start < 3.0  # the request in flight ends, the rest do not start
    rows = read_deliveries(store)
    left = [r for r in rows if r.outcome == "dropped"]
    assert left and all(r.error == "shut down before delivery" for r in left)
    assert len(left) + sum(r.outcome == "sent" for r in rows) == 4
