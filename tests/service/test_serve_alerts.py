"""Alerts inside ``logsieve serve``: the service's anomalies reach a real webhook receiver on
127.0.0.1, one alert per pattern with the pattern's count, every delivery in the store."""

from __future__ import annotations

from collections import Counter

from fastapi.testclient import TestClient
from http_receiver import LocalReceiver
from serve_support import GROUPING, demo_lines, trained_model

from logsieve.alerts import read_deliveries
from logsieve.service.app import Service, create_app
from logsieve.service.config import ServeConfig
from logsieve.store import Store


def test_served_anomalies_alert_once_per_pattern_with_counts(tmp_path_factory):
    rx = LocalReceiver()
    store_path = tmp_path_factory.mktemp("alerts") / "s.db"
    cfg = ServeConfig(model=trained_model(tmp_path_factory.getbasetemp()), store=store_path, llm=None,
                      grouping=GROUPING, batch_size=16, max_wait_s=0.2, checkpoint_s=0.5,
                      alerts={"group_wait_s": 0, "window_s": 3600,
                              "sinks": [{"kind": "webhook", "url": rx.url, "backoff_s": 0.01,
                                         "rate_per_min": 100000, "burst": 10000}]})
    lines = demo_lines(3000)
    service = Service(cfg)
    with TestClient(create_app(service, None)) as client:
        for i in range(0, len(lines), 500):
            r = client.post("/ingest?source=hdfs", content="\n".join(lines[i:i + 500]) + "\n",
                            headers={"Content-Type": "text/plain"})
            assert r.status_code == 202
        assert client.post("/admin/flush").status_code == 200
        items, page = [], {"total": 1}
        while len(items) < page["total"]:
            page = client.get("/anomalies", params={"status": "abnormal", "limit": 1000, "offset": len(items)}).json()
            items += page["items"]
    # leaving the client stopped the service: the alert manager sent what waited and closed
    rx.close()
    assert items, "the demo stream should hold anomalies"
    per_pattern = Counter(it["pattern"] for it in items)
    assert {b["pattern"] for b in rx.bodies} == set(per_pattern)
    assert len(rx.bodies) == len(per_pattern)  # one alert per pattern in the window
    with Store(store_path) as store:
        rows = read_deliveries(store)
    assert len(rows) == len(per_pattern) and all(r.outcome == "sent" and r.status_code == 200 for r in rows)
    # every anomaly is accounted for: counted into its pattern's alert, or held as a repeat
    stats = service.alerts.stats()
    assert stats.get("anomalies_dropped", 0) == 0
    assert sum(b["count"] for b in rx.bodies) + stats["held"] == len(items)
