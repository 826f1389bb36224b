# tagwire — the two commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint demo bench venv clean screenshots lock

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tagwire needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,postgres]'
	touch $(STAMP)

# Re-pin constraints.txt to the newest releases pyproject.toml allows (then run `make test`).
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e '.[dev,postgres]'
	{ sed -n '1,2p' constraints.txt; .venv-lock/bin/pip freeze --exclude-editable | grep -v '^tagwire'; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .venv-lock

run: $(STAMP)
	$(BIN)/tagwire serve --host $(HOST) --port $(PORT) --sources sources/world.toml

test: $(STAMP)
	bash scripts/services.sh
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src tests bench
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src tests bench

demo: $(STAMP)
	$(BIN)/python -m tagwire.demo.run --host $(HOST) --port $(PORT)

bench: $(STAMP)
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.polling --write
	$(BIN)/python -m bench.load --write
	$(BIN)/python -m bench.extraction
	$(BIN)/python -m bench.dedup_eval
	$(BIN)/python -m bench.stories_eval --sweep --write
	$(BIN)/python -m bench.ner_eval --write
	$(BIN)/python -m bench.resolution_eval --write
	$(BIN)/python -m bench.entities_eval --write
	$(BIN)/python -m bench.categories_eval --write

screenshots: $(STAMP)
	bash scripts/services.sh
	TAGWIRE_SCREENSHOTS=docs/img $(BIN)/python -m pytest -q tests/test_browser.py -k widths

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
