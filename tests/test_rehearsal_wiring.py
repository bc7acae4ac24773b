"""A rehearsal is the redshift target's code with only the endpoints changed:
its settings, its costs and its run record say so."""

from sparkify_nb import config
from sparkify_nb.infra import pricing


def _rehearsal(tmp_path, **overrides):
    values = {"general.target": "redshift", "general.rehearsal": "true", **overrides}
    return config.load(tmp_path / "absent.cfg", overrides=values, environ={})


def test_a_rehearsal_prints_redshift_costs_marked_not_billed(tmp_path):
    real = config.load(tmp_path / "absent.cfg", overrides={"general.target": "redshift"}, environ={})
    line = pricing.cost_line(_rehearsal(tmp_path))
    assert line == f"{pricing.cost_line(real)} (not billed: rehearsal)"
    assert line.startswith("estimated cost: $1.086/hour")
