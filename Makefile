# The two commands of the README:
#   make demo   set up this machine and run the platform with demo data on http://127.0.0.1:8000
#   make test   set up this machine and run the whole test suite
.PHONY: setup demo test

export MDP_STATE_DIR ?= $(CURDIR)/var

setup:
	./scripts/setup-host.sh

demo: setup
	.venv/bin/mdp demo
	.venv/bin/mdp run

test: setup
	.venv/bin/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)
