"""01 and 99: what the warehouse runs on. Provision, check, describe and tear down.

Modules: ``resources`` (the one ordered table of resource kinds), ``stack``
(provision, plan, inventory, teardown: walks the table), ``iam``, ``network``,
``cluster``, ``serverless`` (each kind's find, ensure, delete), ``controls``
(the checks 01 shows), ``pricing`` (what it costs), ``state`` (the record of
what 01 made), ``sample`` (local sample data), ``wait``, ``context``, ``errors``.
"""

from ..aws import Clients
from .cluster import cluster_drift, require_ssl
from .context import TAG_KEY, Context
from .controls import checks, report_checks
from .errors import ConflictError, InfraError, IngressError, WaitTimeout
from .iam import TRUST_POLICY, role_name, role_policy
from .network import ingress_cidrs, public_ip
from .pricing import cost_line
from .sample import ensure_bucket, seed_sample_data
from .stack import (kept_snapshots, plan, provision, report_left, report_warnings, summary, tagged_resources,
                    teardown)

__all__ = ["Clients", "ConflictError", "Context", "InfraError", "IngressError", "TAG_KEY", "TRUST_POLICY",
           "WaitTimeout", "checks", "cluster_drift", "cost_line", "ensure_bucket", "ingress_cidrs", "kept_snapshots",
           "plan", "provision", "public_ip", "report_checks", "report_left", "report_warnings", "require_ssl",
           "role_name", "role_policy", "seed_sample_data", "summary", "tagged_resources", "teardown"]
