# The whole set-up is `make run` (or `make test`) on a machine with Python 3.11 and pip.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run rehearse boto3-floor sar permissions-doc test teardown lab down status clean notebooks bench mutants

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install when the package metadata changes; the package itself is editable.
# pip installs uv (from PyPI) and uv installs the dependencies: the same packages as pip, in a
# fraction of the time (a fresh clone's install went from ~85 s to ~15 s); where uv cannot be had or
# fails, pip installs them as before. --compile-bytecode (pip does it by default, uv does not): without
# it every new process, each notebook kernel included, compiled the modules it imports on first use;
# make test on a fresh clone spent ~90 s more doing that (quiet 2-core machine, pytest 344 s -> 251 s)
# than the ~15 s the install spends compiling once.
# `UV_INDEX_URL` / `UV_EXTRA_INDEX_URL` name another index for uv.
# The kernelspec sparkify-nb (this venv's Python) is what the notebooks name, so JupyterLab runs them
# here whatever python3 kernelspec the user has; sparkify-nb run and the tests ask for it directly.
comma := ,
PIP_INSTALL = $(BIN)/python -m pip install --quiet --disable-pip-version-check
define install_editable
	{ $(PIP_INSTALL) uv && $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '$(1)'; } || $(PIP_INSTALL) -e '$(1)'
endef

$(STAMP): $(BIN)/python pyproject.toml
	$(call install_editable,.[test])
	$(BIN)/python -m ipykernel install --sys-prefix --name sparkify-nb --display-name "Python (sparkify-nb)" >/dev/null
	touch $(STAMP)

install: $(STAMP)

## make run: start the local stack (if needed) and run 01 -> 04 into runs/<UTC timestamp>/
run: install
	$(BIN)/sparkify-nb run

## make rehearse: the redshift run, 01 -> 04, rehearsed on the local stack (AWS emulator + a local Redshift
## Data API endpoint): every statement a Redshift run sends, executed; nothing reaches AWS, nothing bills.
## `sparkify-nb run --rehearse --only 99_teardown` deletes what its 01 made.
rehearse: install
	$(BIN)/sparkify-nb run --rehearse

## make test: unit tests + nbval over notebooks/ in TEST_WORKERS parallel processes (pytest-xdist), each
## on a private stack it starts and stops (make test TEST_WORKERS=0: one process, one stack). Four on two
## cores: a test's waits on kernels, servers and child processes leave room for more processes than cores.
## The suite is now CPU-bound (four rehearsed runs with the IAM gate) and 3 or 4 are within run-to-run noise
## (1527 tests, quiet 2-core machine: fresh clone 311.5 s with 4, 330 s with 3; in place 312 and 325 s with 4,
## 308 s with 3, which uses ~10 % less CPU; 337 s with 6). Earlier, with 929 tests: 261 s with 2, 222 s with 4.
## 2026-12-02, another 2-core machine: 1528 tests 222 s; 1639 tests 272 s in place and 272 s on a fresh clone
## (.ci/run 4 min 56 s with the install), of which tests/test_whole_runs.py (five whole runs) is 58 s.
## Later the same day, 1769 tests: 213.5 s in place, 211.4 s on a fresh clone (.ci/run 3 min 53 s), quiet; one
## boto3 session's botocore data shared per process (sparkify_nb/sessions.py) is 37 s of it (248.3 s without).
## 2026-12-03, this machine, 1969 tests: .ci/run on a fresh clone 8 min 25 s with the install, pytest 453.9 s
## (PYTEST_ADDOPTS=--durations=40): over the 5-minute target. The five whole runs' shared setup
## (tests/test_whole_runs.py) is 217 s of one worker under four; alone, one process, quiet: 117 s at 541a74c,
## 138 s at 0ee284a (this round's endpoint changes cost ~20 s of it); the rest is ~200 new rehearsal tests.
## Then in place at 7fc4f15, quiet: 1969 passed in 294.8 s (4 min 57 s with make): under, but with no margin.
## 2026-12-03, later, same machine: 323.2 s at ca802c6 (1969 tests, quiet, user CPU 518 s). A py-spy profile of
## the suite (--subprocesses) then led to three changes: the test stacks in /dev/shm (conftest.py), the emulator
## without AMI catalogues or per-request log lines (local/aws_emulator.py), and bytecode kept (below). Paired
## against their reverts on one machine they are neutral to slightly faster (5 heavy modules with -n 4: 88 vs 86 s;
## tests/test_whole_runs.py alone: 124 vs 130 s). Yet three successive quiet runs of make test after them (2048-2050
## tests) took 413, 442 and 562 s, user CPU 676, 726 and 845 s, growing run after run with the same code.
## 2026-12-03, next session: the machine, not the code. ca802c6 itself (a worktree, the same .venv, unchanged
## since 03:56, PYTHONDONTWRITEBYTECODE=1 as then), quiet, took 508.2 s (user CPU 828 s) where it had taken
## 323.2 s (518 s) four hours before; the main of then took 512.1 s (815 s) right after it, and 485.3 s before it.
## Steal time was ~0 (/proc/stat): the same work simply costs ~1.6x the CPU time it did. The CPU then, per process
## kind (/proc/<pid>/stat sampled each second): xdist workers (in-process tests) 281 s, the 17 AWS emulators 222 s,
## 45 kernels 206 s, the Data API endpoints 82 s, CLI runs 45 s. Over the target on this machine now.
## PYTHONDONTWRITEBYTECODE is emptied for the run (an empty value is unset, to Python): where a developer's shell
## sets it (this machine's does), every process of the run compiled sparkify_nb from source again (each kernel,
## worker, endpoint and CLI run) and pytest rewrote every test module's asserts in each worker: ~8 % of make
## test's CPU in a py-spy profile. Written once, __pycache__ (git-ignored) serves every later process and run.
TEST_WORKERS ?= 4
test: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_WORKERS)

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

## make notebooks: re-execute the notebooks, 01 -> 99, and store their outputs as one run (nbval compares the checked cells)
notebooks: install
	$(BIN)/python -m tests.refresh_notebooks

## make sar: refresh sparkify_nb/iam/sar.json, the rehearsal's copy of AWS's Service Authorization
## Reference (the actions the suite calls), from the installed parliament's; `pip install -U parliament` first
## for a newer scrape. A test fails when the copy and the refresh differ.
sar: install
	$(BIN)/python -m sparkify_nb.iam.sar

## make permissions-doc: rewrite docs/redshift.md's table of the operator policy's statements from the permissions
## reports of the four rehearsed ways to run (the whole-runs test's set-up: about 3 minutes)
permissions-doc: install
	REFRESH_DOCS=1 $(BIN)/python -m pytest -q -p no:xdist tests/test_whole_runs.py -k statements_table

## make boto3-floor: the requests the tests build, validated against the models of the oldest boto3
## pyproject.toml allows (installed into a scratch venv; needs PyPI). Run it when you change the floor
## or send a new parameter.
boto3-floor: install
	$(BIN)/python -m tests.boto3_floor

## make bench: our staging load and transform vs their limits and anchors, on generated data
## (1M events by default; quick run: make bench BENCH_ARGS="--events 100000 --songs 2000")
BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP)
	$(call install_editable,.[test$(comma)bench])
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

## make mutants PKG=sparkify_nb/local/rehearsal: mutation testing of one room (tests/mutation_rooms.py) or one of its
## modules or SQL folders/files, in a scratch copy of the work tree; each mutant runs only the room's test modules that
## reach its line. Prints killed / survived / equivalent and every survivor (also in .sparkify/mutants/).
## MUTANTS_ARGS="--list" lists the mutants without running them; "--max 20" runs the first 20.
MUTANTS_STAMP := $(VENV)/.mutants-stamp
$(MUTANTS_STAMP): $(STAMP)
	$(call install_editable,.[test$(comma)mutants])
	touch $(MUTANTS_STAMP)

mutants: $(MUTANTS_STAMP)
	@test -n "$(PKG)" || { echo "usage: make mutants PKG=<a room's folder, module or .sql file> (rooms: tests/mutation_rooms.py)"; exit 2; }
	$(BIN)/python -m tests.mutants $(PKG) $(MUTANTS_ARGS)
