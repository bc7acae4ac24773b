"""Fixtures shared by the warehouse tests (the session's stack is started in
the root conftest.py)."""

import pytest

from sparkify_nb import config, warehouse

from sparkify_nb.warehouse import schema


@pytest.fixture
def settings():
    """Settings of the local target (the session's private stack)."""
    return config.load(overrides={"general.target": "local"})


@pytest.fixture
def conn(settings):
    """A connection to the session's database with every table freshly created."""
    c = warehouse.open_connection(settings)
    warehouse.run(c, schema.drop_statements("postgres") + schema.create_statements("postgres"))
    yield c
    c.close()
