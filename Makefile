# StreamForge Chaos Lab. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CHAOSLAB := node bin/chaoslab.mjs
VITEST := npx vitest run

.PHONY: help deps setup setup-sim chaos nightly test test-unit test-lab test-lifecycle test-kind typecheck lab-up lab-down lab-status \
        validate report bench bench-lab bench-healer bench-suite clean docker-host kind-offline-setup

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.installed ## install the npm packages (pinned by package-lock.json)

setup: deps ## build/check what the provider needs (CLUSTER=kind|sim|existing, default sim; no-op when done)
	$(CHAOSLAB) lab setup

setup-sim: deps ## build the sim lab's components and k6 into the cache (what `make test` runs on)
	CLUSTER=sim $(CHAOSLAB) lab setup

docker-host: ## root: install Debian's Docker if missing and start dockerd (runtime shim where CAP_SYS_RESOURCE is missing)
	cluster/kind/offline/docker-host.sh

kind-offline-setup: deps ## build the air-gapped kind lab (node image, kind, lab images) from package registries (cached)
	$(CHAOSLAB) lab setup --provider kind --offline

# chaos does its provider's set-up itself: it picks the provider first (kind if Docker answers, else
# sim), and a kind machine must not be asked for the sim's Go, Java and Maven.
chaos: deps ## run the resilience suite (kind if Docker answers, else sim; CLUSTER= forces) and render the report
	$(CHAOSLAB) chaos

# `make nightly`: where the site goes, and what the workflow passes through (all optional).
PUBLISH_DIR ?= reports/out/nightly-site

# Like chaos, nightly does its provider's set-up itself (and published results need no lab at all).
nightly: deps ## chaos, then the report with its history published into PUBLISH_DIR (HISTORY_DIR= LABELS= SEED= FLAKY_WINDOW= RESULTS_FROM=)
	$(CHAOSLAB) nightly --publish-dir "$(PUBLISH_DIR)" \
	  $(if $(HISTORY_DIR),--history-dir "$(HISTORY_DIR)") \
	  $(foreach label,$(LABELS),--label "$(label)") \
	  $(if $(SEED),--seed "$(SEED)") \
	  $(if $(FLAKY_WINDOW),--flaky-window "$(FLAKY_WINDOW)") \
	  $(if $(RESULTS_FROM),--results-from "$(RESULTS_FROM)") \
	  $(if $(REPORT_URL),--report-url "$(REPORT_URL)")

test: setup-sim ## type-check, then unit, lab, lifecycle and kind tests; prints "N passed, N failed"
	@rm -rf reports/out/tests allure-results
	npx tsc --noEmit -p .
	npx tsc -p workloads/queue-manager/load
	@status=0; \
	CHAOSLAB_TEST_RUN=unit $(VITEST) --project unit || status=1; \
	CHAOSLAB_TEST_RUN=lab $(VITEST) --project lab || status=1; \
	CHAOSLAB_TEST_RUN=lifecycle $(VITEST) --project lifecycle || status=1; \
	npx tsx cluster/testing/kind-project.ts || status=1; \
	npx tsx reports/test-summary.ts || status=1; \
	exit $$status

test-unit: deps ## unit tests only (fakes, simulated time; no lab)
	CHAOSLAB_TEST_RUN=unit $(VITEST) --project unit

test-lab: setup-sim ## lab tests only (reuses a running lab, else starts and stops one)
	CHAOSLAB_TEST_RUN=lab $(VITEST) --project lab

test-lifecycle: setup-sim ## lab up/status/down end to end (takes the lab down)
	CHAOSLAB_TEST_RUN=lifecycle $(VITEST) --project lifecycle

test-kind: deps ## the suite on a real air-gapped kind cluster (starts Docker as root, builds the images; "not run" without Docker)
	npx tsx cluster/testing/kind-project.ts

typecheck: deps ## tsc on the whole project and on the k6 scripts
	npx tsc --noEmit -p .
	npx tsc -p workloads/queue-manager/load

lab-up: setup ## start the lab (CLUSTER=kind|sim|existing, default sim; no-op when it is up)
	$(CHAOSLAB) lab up

lab-status: deps ## health of every lab component
	$(CHAOSLAB) lab status

lab-down: deps ## stop the lab (CLUSTER=..., default sim) and remove its state
	$(CHAOSLAB) lab down

validate: deps ## validate every scenario file
	$(CHAOSLAB) validate scenarios/*.yaml

report: deps ## re-render the HTML report from the last results
	$(CHAOSLAB) report

bench: bench-lab bench-healer bench-suite ## every benchmark (figures in reports/out/bench/), then the README's Measured table from them
	npx tsx bench/measured.ts --write

bench-lab: setup-sim ## lab figures: cold build times, warm up/down time, resident memory
	npx tsx bench/lab.ts

bench-healer: setup-sim ## healer figures: events/s, ingest lag, detection and remediation latency, RSS (brings the sim lab up: bench-lab leaves it down)
	$(CHAOSLAB) lab up
	npx tsx bench/healer.ts

bench-suite: setup-sim ## the resilience suite's wall time on the sim, whole and per scenario
	npx tsx bench/suite.ts

clean: ## stop the lab and remove outputs (the component cache in ~/.cache/chaoslab stays)
	-$(CHAOSLAB) lab down
	rm -rf reports/out allure-results .chaoslab
