"""Usage limits and tags of the rehearsal's Redshift Serverless control plane
(rules 5 and 6 of :mod:`.serverless`, which states them with their pages)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from .errors import ApiError, validation


def conflict(message: str) -> ApiError:
    return ApiError("ConflictException", message)


def not_found(message: str) -> ApiError:
    return ApiError("ResourceNotFoundException", message)


class LimitsAndTags:
    """The usage-limit and tag operations; :class:`.serverless.Serverless` keeps the state they read."""

    workgroups: dict[str, dict[str, Any]]
    limits: dict[str, dict[str, Any]]
    tags: dict[str, dict[str, str]]
    _lock: threading.RLock

    def _settle(self) -> None:  # the statuses over time: Serverless's
        raise NotImplementedError

    # --- usage limits (rule 5) --------------------------------------------------------

    def create_usage_limit(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        with self._lock:
            self._settle()
            wg = next((w for w in self.workgroups.values() if w["workgroupArn"] == req["resourceArn"]), None)
            if wg is None:
                raise not_found(f"Resource {req['resourceArn']} not found")
            if req["usageType"] != "serverless-compute":
                raise validation(f"usageType {req['usageType']} does not apply to a workgroup: serverless-compute")
            if req["amount"] < 1:
                raise validation("amount is in whole RPU-hours, at least 1")
            period, action = req.get("period", "monthly"), req.get("breachAction", "log")
            if any(u["resourceArn"] == wg["workgroupArn"] and (u["usageType"], u["period"]) == (req["usageType"], period)
                   for u in self.limits.values()):
                raise conflict(f"Workgroup {wg['workgroupName']} already has a {period} {req['usageType']} usage limit")
            ident = str(uuid.uuid4())
            arn = f"arn:aws:redshift-serverless:{who.region}:{who.account}:usagelimit/{ident}"
            self.limits[arn] = {"usageLimitId": ident, "usageLimitArn": arn, "resourceArn": wg["workgroupArn"],
                                "usageType": req["usageType"], "amount": req["amount"], "period": period,
                                "breachAction": action}
            return {"usageLimit": dict(self.limits[arn])}

    def _limit(self, ident: str) -> dict[str, Any]:
        found = next((u for u in self.limits.values() if u["usageLimitId"] == ident), None)
        if found is None:
            raise not_found(f"Usage limit {ident} not found")
        return found

    def update_usage_limit(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        with self._lock:
            limit = self._limit(req["usageLimitId"])
            if req.get("amount", 1) < 1:
                raise validation("amount is in whole RPU-hours, at least 1")
            limit.update({k: req[k] for k in ("amount", "breachAction") if k in req})
            return {"usageLimit": dict(limit)}

    def delete_usage_limit(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        with self._lock:
            limit = self._limit(req["usageLimitId"])
            del self.limits[limit["usageLimitArn"]]
            return {"usageLimit": limit}

    def list_usage_limits(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        with self._lock:
            return {"usageLimits": [dict(u) for u in self.limits.values()
                                    if req.get("resourceArn", u["resourceArn"]) == u["resourceArn"]
                                    and req.get("usageType", u["usageType"]) == u["usageType"]]}

    # --- tags (rule 6) ----------------------------------------------------------------

    def _tagged(self, arn: str) -> dict[str, str]:
        self._settle()
        if arn not in self.tags:
            raise not_found(f"Resource {arn} not found")
        return self.tags[arn]

    def tag_resource(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        with self._lock:
            self._tagged(req["resourceArn"]).update({t["key"]: t["value"] for t in req["tags"]})
            return {}

    def untag_resource(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        with self._lock:
            tags = self._tagged(req["resourceArn"])
            for key in req["tagKeys"]:
                tags.pop(key, None)
            return {}

    def list_tags_for_resource(self, req: dict[str, Any], who: Any) -> dict[str, Any]:
        with self._lock:
            return {"tags": [{"key": k, "value": v} for k, v in self._tagged(req["resourceArn"]).items()]}
