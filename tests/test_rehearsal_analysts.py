"""Analysts read, nothing more, on a rehearsal: 02's grants sent as Redshift
SQL over the Data API, and 04's connection (analytics.open_connection: the
Data API with ``DbUser = [cluster] analyst_user``) refused what PostgreSQL
refuses that role, since the endpoint runs each statement as the request's
DbUser (sparkify_nb/local/rehearsal/backing.py).

The suite's own code paths end to end: warehouse.open_connection (02, the
admin) and analytics.open_connection (04), a real boto3 ``redshift-data``
client on the endpoint, a cluster made on the session's emulator.
"""

from __future__ import annotations

import uuid

import pytest

from sparkify_nb import analytics, aws, config, warehouse
from sparkify_nb.infra import state
from sparkify_nb.warehouse import analysts, schema
from tests.helpers import quiet
from tests.rehearsal_fixtures import REGION, aws as emulator, data_api  # noqa: F401


@pytest.fixture
def rehearsed(data_api, tmp_path):
    """A cluster as 02 leaves it (tables, one play, a staging row, the analysts), and the settings
    and clients 04 would use on it."""
    ident = f"rh-an-{uuid.uuid4().hex[:8]}"
    emulator("redshift").create_cluster(
        ClusterIdentifier=ident, NodeType="ra3.xlplus", ClusterType="single-node", MasterUsername="sparkify_admin",
        MasterUserPassword="Rehearsal1x", DBName="sparkify")
    settings = config.load(tmp_path / "absent.cfg", environ={}, overrides={
        "general.target": "redshift", "general.region": REGION, "general.stack_name": ident,
        "cluster.identifier": ident})
    state.save(settings, {"kind": "provisioned", "cluster_identifier": ident, "db_name": "sparkify"})
    clients = aws.Clients(settings, endpoint_url="http://127.0.0.1:9").use("redshift-data", data_api)
    admin = warehouse.open_connection(settings, clients, progress=quiet)
    warehouse.run(admin, schema.drop_statements("redshift") + schema.create_statements("redshift"))
    line = analysts.ensure(admin, "redshift", "sparkify_analyst")
    warehouse.run(admin, ["INSERT INTO songplays (start_time, user_id, level, session_id) "
                          "VALUES ('2018-11-01 21:01:46', '8', 'free', 139)",
                          "INSERT INTO staging_events (artist) VALUES ('hidden')"])
    yield settings, clients, admin, line
    admin.close()
    state.clear(settings)
    emulator("redshift").delete_cluster(ClusterIdentifier=ident, SkipFinalClusterSnapshot=True)


@pytest.fixture
def analyst(rehearsed):
    settings, clients, _, _ = rehearsed
    conn = analytics.open_connection(settings, clients, progress=quiet)
    yield conn
    conn.close()


def test_04_runs_as_the_analyst_over_the_data_api(analyst):
    assert analyst.target["DbUser"] == "sparkify_analyst"
    assert warehouse.query(analyst, "SELECT current_user AS who").who[0] == "sparkify_analyst"


def test_the_analyst_reads_the_star(analyst):
    assert warehouse.query(analyst, "SELECT COUNT(*) AS plays FROM songplays").plays[0] == 1


def test_the_analyst_is_refused_an_insert(analyst):
    with pytest.raises(warehouse.WarehouseError, match="permission denied for table songplays"):
        warehouse.run(analyst, ["INSERT INTO songplays (start_time, user_id, level, session_id) "
                                "VALUES ('2018-11-02 00:00:00', '9', 'paid', 1)"])


def test_the_analyst_is_refused_a_read_of_staging_events(analyst):
    with pytest.raises(warehouse.WarehouseError, match="permission denied for table staging_events"):
        warehouse.query(analyst, "SELECT COUNT(*) FROM staging_events")


def test_02_on_the_rehearsal_makes_the_group_once_and_grants_again(rehearsed):
    _, _, admin, line = rehearsed
    assert analysts.ensure(admin, "redshift", "sparkify_analyst") == line
    members = warehouse.query(admin, "SELECT u.usename FROM pg_user u JOIN pg_group g ON u.usesysid = ANY(g.grolist) "
                                     "WHERE g.groname = 'analysts'")
    assert "sparkify_analyst" in set(members.usename)


def test_a_table_named_like_the_endpoints_bookkeeping_never_resolves_to_it(data_api):
    """02 drops "users" before it exists; the endpoint's list of the cluster's users must survive that."""
    from tests.rehearsal_fixtures import make_cluster, run

    made = make_cluster()
    target = {"ClusterIdentifier": made["ClusterIdentifier"], "Database": "dev", "DbUser": "awsuser"}
    try:
        for sql in ('DROP TABLE IF EXISTS "users"', 'DROP TABLE IF EXISTS load_errors',
                    "CREATE USER reader PASSWORD DISABLE"):
            assert run(data_api, sql, **target)["Status"] == "FINISHED", sql
        assert run(data_api, "SELECT 1", **{**target, "DbUser": "reader"})["Status"] == "FINISHED"
    finally:
        emulator("redshift").delete_cluster(ClusterIdentifier=made["ClusterIdentifier"], SkipFinalClusterSnapshot=True)
