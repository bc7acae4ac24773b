"""``warehouse.probe`` (direct access): can this machine reach the cluster
port, and if not, which likely cause applies. Real sockets on loopback: one
port that listens, one that is closed; the public-IP lookup is passed in."""

from __future__ import annotations

import socket

import pytest

from sparkify_nb import config, warehouse


@pytest.fixture
def settings(tmp_path):
    return config.load(tmp_path / "absent.cfg", environ={}, overrides={"general.target": "redshift"})


def record(port, **extra):
    return {"endpoint": "127.0.0.1", "port": port, "cluster_status": "available",
            "allowed_cidrs": ["203.0.113.7/32"], **extra}


def no_lookup():
    raise AssertionError("the public IP is looked up only when the port gives no answer")


def test_an_open_port_is_reachable(settings):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        verdict = warehouse.probe(settings, record(port), public_ip=no_lookup)
    assert (verdict.ok, verdict.cause, verdict.message) == (True, "", f"127.0.0.1:{port} accepts connections from here")


def test_a_closed_port_means_the_warehouse_is_not_listening_yet(settings):
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]  # bound, never listening: connecting is refused
        verdict = warehouse.probe(settings, record(port), public_ip=no_lookup)
    assert (verdict.ok, verdict.cause) == (False, "not_available")
    assert verdict.message.startswith(f"127.0.0.1 refused port {port}: the warehouse is not listening yet")


def test_a_cluster_not_yet_available_is_said_before_trying(settings):
    verdict = warehouse.probe(settings, record(5439, cluster_status="creating", endpoint=None), public_ip=no_lookup)
    assert (verdict.ok, verdict.cause) == (False, "not_available")
    assert verdict.message == ("the warehouse is not yet available (status creating, endpoint none): wait, then "
                               "re-run 01 to record its endpoint")


def silent_port(monkeypatch):
    """A port that gives no answer, as when a firewall drops the packets."""
    def no_answer(address, timeout=None):
        raise TimeoutError("timed out")
    monkeypatch.setattr(warehouse.connect.socket, "create_connection", no_answer)


def test_no_answer_from_an_ip_outside_the_allowed_cidrs_means_your_ip_changed(settings, monkeypatch):
    silent_port(monkeypatch)
    verdict = warehouse.probe(settings, record(5439), public_ip=lambda: "198.51.100.20", timeout_s=1)
    assert (verdict.ok, verdict.cause) == (False, "ip_changed")
    assert "your public IP is now 198.51.100.20, but the security group admits only 203.0.113.7/32" in verdict.message


def test_no_answer_from_an_allowed_ip_means_a_firewall_blocks_the_port(settings, monkeypatch):
    silent_port(monkeypatch)
    verdict = warehouse.probe(settings, record(5439), public_ip=lambda: "203.0.113.7", timeout_s=1)
    assert (verdict.ok, verdict.cause) == (False, "firewall")
    assert verdict.message.startswith("127.0.0.1:5439: no answer within 1 s although your IP 203.0.113.7 is allowed")


def test_without_the_public_ip_the_cause_is_unknown(settings, monkeypatch):
    silent_port(monkeypatch)

    def offline():
        raise OSError("no network")
    verdict = warehouse.probe(settings, record(5439), public_ip=offline)
    assert (verdict.ok, verdict.cause) == (False, "unknown")
