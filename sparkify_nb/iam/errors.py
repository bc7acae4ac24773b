"""The errors the permission documents raise on purpose; each message names the setting or source."""

from __future__ import annotations

from .. import SparkifyError


class PolicyError(SparkifyError):
    """A document cannot be written for these settings (a manifest's parts outside the source
    buckets, a stack name that makes a bucket name S3 refuses)."""


class ScopeError(PolicyError):
    """An action the suite calls has no rule in :mod:`.scopes`: it would reach the policy unscoped."""
