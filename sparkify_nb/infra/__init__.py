"""01 and 99: what the warehouse runs on. Provision, check, describe and tear down.

Modules: ``resources`` (the one ordered table of resource kinds), ``stack``
(provision, plan, inventory, teardown: walks the table), ``roles``, ``boundary``,
``analyst``, ``guardrails``, ``workbucket``, ``network``,
``routes``, ``cluster``, ``serverless`` (each kind's find, ensure, delete),
``changes`` (what a plan would change), ``preflight`` (what 01 checks before
it makes anything), ``controls`` (the security controls 01 shows), ``pricing`` (what it
costs), ``state`` (the record of what 01 made), ``sample`` (the sample-data
buckets), ``wait``, ``context``, ``errors``. Every policy document they
write comes from :mod:`sparkify_nb.iam`; this package only calls AWS.
"""

from ..aws import Clients
from . import boundary, controls, preflight
from .cluster import cluster_drift, set_parameters
from .context import TAG_KEY, Context
from .controls import ControlsError
from .errors import ConflictError, InfraError, IngressError, WaitTimeout
from ..iam.copy_role import role_name, role_policy
from .network import ingress_cidrs, public_ip
from .preflight import PreflightError
from .pricing import cost_line, cost_text
from .sample import ensure_bucket
from .stack import (kept_snapshots, plan, provision, report_left, report_warnings, summary, summary_table,
                    tagged_resources, teardown)

__all__ = ["Clients", "ConflictError", "Context", "ControlsError", "InfraError", "IngressError", "PreflightError",
           "TAG_KEY", "WaitTimeout", "boundary", "cluster_drift", "controls", "cost_line", "cost_text",
           "ensure_bucket", "ingress_cidrs", "kept_snapshots", "plan", "preflight", "provision", "public_ip",
           "report_left", "report_warnings", "role_name", "role_policy", "set_parameters",
           "summary", "summary_table", "tagged_resources", "teardown"]
