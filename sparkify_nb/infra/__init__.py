"""01 and 99: what the warehouse runs on. Provision, check, describe and tear down.

Modules: ``stack`` (provision, checks, teardown), ``pricing`` (what it costs),
``state`` (the record of what 01 made).
"""

from .stack import (ConflictError, InfraError, IngressError, WaitTimeout, checks, cluster_drift, cost_line,
                    delete_serverless, ensure_bucket, ensure_serverless, estimate, ingress_cidrs, kept_snapshots,
                    poll, provision, public_ip, report_checks, report_left, report_warnings, require_ssl,
                    role_name, role_policy, seed_sample_data, summary, tagged_resources, teardown, wait)

__all__ = ["ConflictError", "InfraError", "IngressError", "WaitTimeout", "checks", "cluster_drift", "cost_line",
           "delete_serverless", "ensure_bucket", "ensure_serverless", "estimate", "ingress_cidrs", "kept_snapshots",
           "poll", "provision", "public_ip", "report_checks", "report_left", "report_warnings", "require_ssl",
           "role_name", "role_policy", "seed_sample_data", "summary", "tagged_resources", "teardown", "wait"]
