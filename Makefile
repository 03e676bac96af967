# `make up` runs the whole system; `make test` runs the test suite. Both make .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: axe install up test test-unit test-integration test-faults test-cluster cluster haproxy browser lint bench bench-online bench-topics bench-sockets \
	bench-neighbours bench-priority chaos \
	i18n docs clean

# What running needs (`make up`, `./herald`); the test tooling (pytest, playwright, mypy,
# schemathesis, ...) only for `make test` and `make lint`.
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# The Python client (clients/python) is its own package: the tests use it as its users do.
$(BIN)/.tests: $(BIN)/.installed clients/python/pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]' -e clients/python
	touch $@

install: $(BIN)/.installed

# The benchmarks' own needs (matplotlib for the plot, py-spy for profiles); the peers they
# compare against are installed by bench/peers.py into bench/.peers on first use.
$(BIN)/.bench: $(BIN)/.tests
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

up: $(BIN)/.installed
	$(BIN)/herald up

# Unit tests (seconds, no servers) first, then the real-process suite, then the fault suite
# (parts of a running `herald up` killed under traffic, each ending with a ledger check), then
# the cluster suite (Herald on hosts made of network namespaces, failovers and partitions).
# About 15 minutes on 2 cores; pytest prints each file's progress.
test: $(BIN)/.tests browser axe haproxy
	@echo "make test: unit, integration, faults and cluster suites (about 15 minutes on 2 cores)"
	$(BIN)/pytest tests/unit tests/integration tests/faults tests/cluster

# The cluster suite's edge: Debian's HAProxy (as root), or which package to install.
haproxy:
	@if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing haproxy for the cluster suite ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq haproxy >/dev/null; \
	  else \
	    echo "the cluster suite needs HAProxy and root: sudo apt-get install haproxy" >&2; \
	    exit 1; \
	  fi; \
	fi

test-cluster: $(BIN)/.tests haproxy
	$(BIN)/pytest tests/cluster -s

# The cluster topology for a person to try: each host's address, HAProxy's ports, how to cut
# a host off and heal it; Ctrl-C removes it all. Root (network namespaces).
cluster: $(BIN)/.tests haproxy
	$(BIN)/python -m tests.cluster

# The accessibility audit of <herald-inbox> runs axe-core, from the npm registry.
AXE := tests/js/node_modules/axe-core/axe.min.js
axe: $(AXE)
$(AXE): tests/js/package.json
	npm install --silent --no-audit --no-fund --prefix tests/js
	touch $@

# The browser tests drive Debian's Chromium; CJK and Arabic fonts, so that glyphs render.
BROWSER_PACKAGES := chromium fonts-noto-cjk fonts-dejavu-core
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -q "Noto Sans CJK"; \
	then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing $(BROWSER_PACKAGES) for the browser tests ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; \
	  else \
	    echo "the browser tests need Chromium and CJK fonts: sudo apt-get install" \
	      "$(BROWSER_PACKAGES)" >&2; \
	    exit 1; \
	  fi; \
	fi

test-unit: $(BIN)/.tests
	$(BIN)/pytest tests/unit

test-integration: $(BIN)/.tests browser
	$(BIN)/pytest tests/integration

test-faults: $(BIN)/.tests
	$(BIN)/pytest tests/faults

# Style, the direction of imports between layers (import-linter), types, and herald.d.ts
# against a page's use of herald.js (TypeScript from the npm registry).
lint: $(BIN)/.tests
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	npx --yes -p typescript@5 tsc --noEmit --strict --lib es2022,dom --module es2022 \
		--moduleResolution bundler tests/js/herald_types.ts tests/js/herald_inbox_types.ts

# Every performance figure in one run (~15 minutes on 2 cores: a topic of 100,000 and the
# noisy neighbour now run in it too), beside its target and the
# peers (python-socketio, socket.io on Node.js): a table, bench/results/bench-*.json and .png.
bench: $(BIN)/.bench
	$(BIN)/python -m bench.run

# End to end with 500 readers online, acking as herald.js does (--profile worker|gateway).
bench-online: $(BIN)/.bench
	$(BIN)/python -m bench.online

# The gateway's cost per socket: memory per idle socket, opens/s, a reconnect storm.
bench-sockets: $(BIN)/.bench
	$(BIN)/python -m bench.sockets

# One send to a topic of 100,000 readers (500 online): the 202, the last socket, all stored.
bench-topics: $(BIN)/.bench
	$(BIN)/python -m bench.topics

# Tenant B's latency while tenant A floods, as ratios to B's quiet latency (docs/SECURITY.md).
bench-neighbours: $(BIN)/.bench
	$(BIN)/python -m bench.neighbours

# 100 high notifications sent after 20,000 low ones: their latency, three runs on one stack.
bench-priority: $(BIN)/.bench
	$(BIN)/python -m bench.priority

# The soak (outside CI): 10 minutes of steady traffic with random kills, then the ledger.
chaos: $(BIN)/.tests
	$(BIN)/python -m bench.chaos --minutes 10

# The configuration table (docs/CONFIGURATION.md, from backend/core/config.py) and the screenshots.
docs: $(BIN)/.tests browser
	$(BIN)/python -m docs.settings_table
	$(BIN)/python -m docs.screenshots

# Herald's own strings: extract, merge into every catalog, compile (.mo files are committed).
i18n: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k ngettext:2,3 -k gettext:2 --no-location \
		-o backend/templates/locale/herald.pot .
	$(BIN)/pybabel update -D herald -i backend/templates/locale/herald.pot -d backend/templates/locale
	$(BIN)/pybabel compile -D herald -d backend/templates/locale --statistics
	$(BIN)/python -m gateway.inbox_messages

clean:
	rm -rf $(VENV) .herald .pytest_cache
