"""Fixtures shared by the warehouse tests (the session's stack is started in
the root conftest.py)."""

import shutil
import tempfile
from pathlib import Path

import pytest

from sparkify_nb import config, datagen, warehouse

from sparkify_nb.warehouse import schema


@pytest.fixture(scope="session")
def session_stack():
    """The local stack of this test process, which the root conftest.py started (one per
    xdist worker): ``local.status()`` (``aws_endpoint``, ``dsn``, ...) plus ``state_dir``.
    For tests that name it; every test may use it through the environment."""
    from sparkify_nb import local, paths

    return {**local.status(), "state_dir": paths.state_dir()}


@pytest.fixture
def settings():
    """Settings of the local target (the session's private stack)."""
    return config.load(overrides={"general.target": "local"})


@pytest.fixture
def conn(settings):
    """A connection to the session's database (as the admin) with every table freshly created and the
    analysts' grants made, as 02 leaves it."""
    c = warehouse.open_connection(settings)
    warehouse.run(c, schema.drop_statements("postgres") + schema.create_statements("postgres"))
    warehouse.analysts.setup(c, settings)  # as 02 leaves it: the read-only analysts 04 (and %%sql) run as
    yield c
    c.close()


@pytest.fixture
def private_state():
    """A state folder of its own (its own local stack), stopped and removed afterwards.
    Not pytest's tmp_path: pytest resets /tmp/pytest-of-<user> to mode 0700 whenever a
    session starts, which would lock out the `pgserver` user PostgreSQL runs as (as root).
    A short path also keeps the socket path under its length limit."""
    from sparkify_nb.local import stack as local_stack

    from conftest import stacks_parent  # the root conftest's: in memory where there is room

    state = Path(tempfile.mkdtemp(prefix="spk-stk-", dir=stacks_parent()))
    yield state
    local_stack.down(state)
    shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="session")
def data(tmp_path_factory):
    """A small generated data set in a folder (8,000 events over 10 days, 100 songs): the
    runs of 03 that the crash, lock and run-record tests kill, race and schedule."""
    root = tmp_path_factory.mktemp("data8k")
    datagen.generate(datagen.FolderSink(root), events=8_000, songs=100, users=60, days=10, seed=7)
    return root
