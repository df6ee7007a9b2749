# The front door. `make run` runs the platform; `make test` passes the tests.
# Both set up everything on a fresh machine: virtual environment, Kafka, PostgreSQL, topics,
# database migrations. CI calls `make test` through .ci/run.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PYTEST_ARGS ?=
BENCH_ARGS ?=
SOAK_ARGS ?=

.PHONY: help install up topics migrate migrate-durable run test test-unit bench bench-partners bench-web bench-live-plans bench-open-requests sim-year flood soak asyncapi lint format down clean \
	constraints chart-tools chart-topology chart-check browser-tools clamav-tools screenshots trace-ui trace-ui-launch sbom

help:
	@echo "make run        start Kafka, PostgreSQL, Zipkin, the four services and the workspace; follow a sample referral"
	@echo "make test       the whole test suite against real Kafka and PostgreSQL"
	@echo "make lint       ruff and mypy --strict"
	@echo "make sbom       CycloneDX SBOM of the installed environment (build/sbom.cdx.json), checked"
	@echo "make bench      bare pipelines, a 150,000-referral drain, open-loop HTTP at 100/s and"
	@echo "                300/s: throughput, latency, CPU and memory (BENCH_ARGS=\"--drain 20000\")"
	@echo "make bench-partners  N partner FHIR bundles waiting, timed to N accepted answers: events/s"
	@echo "                and the referrals process's CPU (BENCH_PARTNERS_ARGS=\"--events 2000\")"
	@echo "make bench-web  the workspace's caseload and referral pages with 20,000 referrals in one"
	@echo "                council: p50/p95 server time (BENCH_WEB_ARGS=\"--requests 50\")"
	@echo "make bench-live-plans  5,000 plans in force brought in as one CSV file: the time it takes"
	@echo "                (BENCH_LIVE_PLANS_ARGS=\"--plans 10000\")"
	@echo "make bench-open-requests  5,000 open requests at mixed stages as one CSV file: the time"
	@echo "                (BENCH_OPEN_REQUESTS_ARGS=\"--requests 10000\")"
	@echo "make sim-year   a council's year day by day: 5,000 plans' reviews, 500 EHC requests, every"
	@echo "                deadline watched, the SEN2 return; figures and checks (SIM_YEAR_ARGS)"
	@echo "make flood      100 junk requests a second on the public form while families use it (#20)"
	@echo "make soak       10 minutes at 100 referrals/s, memory and latency every 30 s (SOAK_ARGS)"
	@echo "make asyncapi   regenerate docs/asyncapi/ from the code (a test fails when stale)"
	@echo "make chart-check  the Helm chart and Dockerfile checks alone (tests/deploy)"
	@echo "make screenshots  the workspace's browser tests, saving each page to docs/screenshots"
	@echo "make chart-topology  regenerate the chart's topics and rights from the code"
	@echo "make trace-ui   start the local Zipkin (http://127.0.0.1:9411/zipkin/) alone"
	@echo "make up / down  start / stop the local Kafka and PostgreSQL only (down stops Zipkin too);"
	@echo "                PostgreSQL is two clusters: the tests' (fast, not durable) and the durable"
	@echo "                one of make run, bench and soak"

$(INSTALLED): pyproject.toml requirements/constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements/constraints.txt -e '.[dev]'
	@touch $@

install: $(INSTALLED)

up: install
	bash deploy/local/up.sh

topics: up
	$(BIN)/python -m shared.topics

# Two local PostgreSQL clusters (deploy/local/postgres.sh): `make test` uses the tests' one, fast
# because its commits are not durable; `make run` (and the bench and the soak, which pick it
# themselves) the durable one, as production runs. SEND_PG_CLUSTER tells the Python side which.
MIGRATE = $(BIN)/python -m shared.migrations --create-database && \
	$(BIN)/python -m specialists.seed "$$($(BIN)/python -c 'from shared.services import SERVICES; print(SERVICES["specialists"].migrations_database_url())')"

migrate: up
	$(MIGRATE)

migrate-durable: up
	export SEND_PG_CLUSTER=durable && $(MIGRATE)

run: trace-ui topics migrate-durable
	SEND_PG_CLUSTER=durable $(BIN)/python -m scripts.run_platform

# The local trace UI: Zipkin's server (its jar resolved once with Maven into
# ~/.cache/send-platform, like the Kafka jars), in-memory, on 127.0.0.1:9411. `make test` only
# launches it (the JVM boots while the rest is set up); the end-to-end tests wait for it.
trace-ui:
	bash deploy/local/zipkin.sh start

trace-ui-launch:
	bash deploy/local/zipkin.sh launch

# chart-tools: helm, kubecheck, crdcheck and hadolint, pinned, built once into
# ~/.cache/send-platform/tools (about 3 min on a new machine, seconds after); tests/deploy use them.
test: trace-ui-launch topics migrate chart-tools browser-tools clamav-tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# browser-tools: Debian's chromium and chromium-driver, WeasyPrint's pango libraries (apt-get,
# when missing) and axe-core (npm, into ~/.cache/send-platform/tools): the family page's
# browser test and the plan's PDF use them. Seconds when already there.
browser-tools: install
	bash deploy/local/browser.sh

# clamav-tools: Debian's clamav-daemon (apt-get, when missing; its own service is not started):
# the document store's malware-scan tests run it with a signature database of their own.
clamav-tools:
	bash deploy/local/clamav.sh

# Neither is part of `make test`: they print figures, they assert nothing. Each brings its own
# databases, topics, identity provider and services (free ports), so `make run` is undisturbed.
# Each runs on the durable cluster (or TEST_POSTGRES_URL) and prints its settings first.
bench: up
	$(BIN)/python -m scripts.bench $(BENCH_ARGS)

bench-partners: up
	$(BIN)/python -m scripts.bench.partners $(BENCH_PARTNERS_ARGS)

bench-web: up
	$(BIN)/python -m scripts.bench.web $(BENCH_WEB_ARGS)

# Bringing in 5,000 plans in force (issue #22): the time printed, not part of `make test`.
bench-live-plans: up
	$(BIN)/python -m scripts.bench.live_plans $(BENCH_LIVE_PLANS_ARGS)

# Bringing in 5,000 open requests at mixed stages (issue #22): the time printed, likewise.
bench-open-requests: up
	$(BIN)/python -m scripts.bench.open_requests $(BENCH_OPEN_REQUESTS_ARGS)

# A simulated council year (issue #22): 5,000 plans in force and 500 EHC requests, day by day
# with the schedulers on the simulated day, then checked (a small one is in `make test`).
sim-year: up
	$(BIN)/python -m scripts.bench.sim_year $(SIM_YEAR_ARGS)

# A bot flood on the public request form (issue #20): not part of `make test`.
flood: up
	$(BIN)/python -m scripts.bench.flood $(FLOOD_ARGS)

soak: up
	$(BIN)/python -m scripts.bench.soak $(SOAK_ARGS)

# The workspace's pages as its browser tests leave them, for the README's "Using it".
screenshots: topics migrate browser-tools
	WEB_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest tests/e2e/web $(PYTEST_ARGS)

test-unit: install
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

asyncapi: install
	$(BIN)/python -m scripts.asyncapi

chart-tools: install
	bash deploy/tools/install.sh

# After `make asyncapi`: the chart's KafkaTopics and KafkaUser rights follow the code.
chart-topology: install
	$(BIN)/python -m scripts.k8s_topology

chart-check: chart-tools
	$(BIN)/python -m pytest tests/deploy tests/unit/test_k8s_topology_current.py $(PYTEST_ARGS)

# The installed environment as a CycloneDX SBOM (build/sbom.cdx.json), checked against every pin
# of requirements/constraints.txt (tests/unit/test_sbom.py runs the same check in CI).
sbom: install
	$(BIN)/python -m scripts.sbom

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

down:
	bash deploy/local/down.sh

clean: down
	rm -rf .local

# Re-pin every package after changing pyproject.toml (records versions only, no addresses).
constraints: install
	@{ sed -n '1,3p' requirements/constraints.txt; \
	   $(BIN)/python -m pip freeze --all --exclude-editable | grep -v -e '^send-platform' -e '^pip=='; } > requirements/constraints.txt.new
	mv requirements/constraints.txt.new requirements/constraints.txt
