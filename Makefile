# Two entry points: `make run` (embedded SQLite demo: server + scheduler) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DATA_DIR ?= var
export WASTELEDGER_DATABASE_URL ?= sqlite+aiosqlite:///$(DATA_DIR)/wasteledger.sqlite3

.PHONY: run test lint bench samples clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	mkdir -p $(DATA_DIR)
	$(BIN)/wasteledger migrate
	$(BIN)/wasteledger load-fixtures --demo
	$(BIN)/wasteledger demo-tokens
	$(BIN)/wasteledger demo-logins
	$(BIN)/wasteledger serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy .
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

bench: $(STAMP)
	command -v wrk >/dev/null || { echo "the HTTP benchmarks need wrk: apt-get install -y wrk" >&2; exit 1; }
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(DATA_DIR) build *.egg-info
