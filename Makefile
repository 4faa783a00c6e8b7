# The README's two commands. Both set everything up idempotently first.
PYTEST := .venv/bin/python -m pytest
PYTEST_ARGS ?=

.PHONY: setup cases test build clean

setup:
	@scripts/setup.sh

cases: setup
	$(PYTEST) cases/ $(PYTEST_ARGS)

test: setup
	$(PYTEST) tests/ $(PYTEST_ARGS)

build: setup
	.venv/bin/faultlab build

clean:
	rm -rf .venv fuzz/artifacts .pytest_cache
