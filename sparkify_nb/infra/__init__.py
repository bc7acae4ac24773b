"""01 and 99: what the warehouse runs on. Provision, check, describe and tear down.

Modules: ``resources`` (the one ordered table of resource kinds), ``stack``
(provision, plan, inventory, teardown: walks the table), ``iam``, ``network``,
``routes``, ``cluster``, ``serverless`` (each kind's find, ensure, delete),
``changes`` (what a plan would change), ``preflight`` (what 01 checks before
it makes anything), ``controls`` (the security controls 01 shows), ``access``
(every AWS permission, and the operator's policy), ``pricing`` (what it
costs), ``state`` (the record of what 01 made), ``sample`` (local sample
data), ``wait``, ``context``, ``errors``.
"""

from ..aws import Clients
from . import access, boundary, controls, preflight
from .cluster import cluster_drift, set_parameters
from .context import TAG_KEY, Context
from .controls import ControlsError
from .errors import ConflictError, InfraError, IngressError, WaitTimeout
from .iam import TRUST_POLICY, role_name, role_policy
from .network import ingress_cidrs, public_ip
from .preflight import PreflightError
from .pricing import cost_line, cost_text
from .sample import ensure_bucket, seed_sample_data
from .stack import (kept_snapshots, plan, provision, report_left, report_warnings, summary, summary_table,
                    tagged_resources, teardown)

__all__ = ["Clients", "ConflictError", "Context", "ControlsError", "InfraError", "IngressError", "PreflightError",
           "TAG_KEY", "TRUST_POLICY", "WaitTimeout", "access", "boundary", "cluster_drift", "controls", "cost_line", "cost_text",
           "ensure_bucket", "ingress_cidrs", "kept_snapshots", "plan", "preflight", "provision", "public_ip",
           "report_left", "report_warnings", "role_name", "role_policy", "seed_sample_data", "set_parameters",
           "summary", "summary_table", "tagged_resources", "teardown"]
