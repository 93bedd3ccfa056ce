"""logsieve serve: streaming ingest, the detection pipeline in the background, and the HTTP API."""
