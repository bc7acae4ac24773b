# The whole set-up is `make run` (or `make test`) on a machine with Python 3.11 and pip.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test teardown lab down status clean notebooks bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install when the package metadata changes; the package itself is editable.
# The kernelspec sparkify-nb (this venv's Python) is what the notebooks name, so JupyterLab runs them
# here whatever python3 kernelspec the user has; sparkify-nb run and the tests ask for it directly.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name sparkify-nb --display-name "Python (sparkify-nb)" >/dev/null
	touch $(STAMP)

install: $(STAMP)

## make run: start the local stack (if needed) and run 01 -> 04 into runs/<UTC timestamp>/
run: install
	$(BIN)/sparkify-nb run

## make test: unit tests + nbval over notebooks/, on a private stack the tests start and stop
test: install
	$(BIN)/python -m pytest

## make teardown: run 99_teardown, then stop the local stack
teardown: install
	$(BIN)/sparkify-nb run --only 99_teardown; status=$$?; $(BIN)/sparkify-nb local down; exit $$status

## make lab: JupyterLab on the notebooks, against the running local stack
lab: install
	$(BIN)/sparkify-nb local up
	JUPYTER_PREFER_ENV_PATH=1 $(BIN)/jupyter lab notebooks/

down: install
	$(BIN)/sparkify-nb local down

status: install
	$(BIN)/sparkify-nb local status

clean: down
	rm -rf .sparkify runs

## make notebooks: re-execute the notebooks and store the outputs nbval checks
notebooks: install
	$(BIN)/python -m tests.refresh_notebooks

## make bench: our staging load and transform vs their limits and anchors, on generated data
## (1M events by default; quick run: make bench BENCH_ARGS="--events 100000 --songs 2000")
BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)
