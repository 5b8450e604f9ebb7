# The two commands of the README's quick start, and a few helpers.
SWIFT ?= swift

.PHONY: demo test build deps bench-db fuzz

## make demo: install missing packages (as root), build, and serve the demo data set on an embedded PostgreSQL.
demo: build
	.build/debug/truckroll serve --demo

## make test: the whole suite against a real PostgreSQL (a private one unless TRUCKROLL_TEST_DATABASE_URL is set).
test: deps
	$(SWIFT) build --build-tests
	scripts/with-test-postgres.sh $(SWIFT) test --skip-build

build: deps
	$(SWIFT) build --product truckroll

deps:
	@scripts/ensure-deps.sh

## make bench-db: the libpq wrapper against pgbench and psql \copy (release build).
bench-db: deps
	$(SWIFT) build -c release --product truckroll
	.build/release/truckroll bench db

## make fuzz: schemathesis against the real server, once per role (installs schemathesis into .build-fuzz/venv).
fuzz: build
	scripts/fuzz.sh
