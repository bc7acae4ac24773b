"""The HTTP face of the endpoint: the AWS JSON 1.1 protocol of botocore's
``redshift-data`` service model (2019-12-20), and of ``redshift-serverless``
(2021-04-21) for the Serverless control plane (:mod:`.serverless`). A request
is ``POST /`` with ``X-Amz-Target: RedshiftData.<Operation>`` (or
``RedshiftServerless.<Operation>``) and a JSON body; a response is the
operation's output as JSON, an error ``{"__type": Code, "message": ...}``
with HTTP 400. Every request is checked against the operation's input shape
here, server-side (required members, types, lengths, ranges, enums,
patterns, unknown members), whatever the client checked, with AWS's message
form ``1 validation error detected: Value ... at 'sqls' failed to satisfy
constraint: Member must have length less than or equal to 40``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .control import signed_region
from .errors import ApiError

log = logging.getLogger(__name__)
OPERATIONS = ("ExecuteStatement", "BatchExecuteStatement", "DescribeStatement", "GetStatementResult",
              "CancelStatement", "ListStatements")
SERVERLESS_OPERATIONS = ("CreateNamespace", "GetNamespace", "ListNamespaces", "UpdateNamespace", "DeleteNamespace",
                         "CreateWorkgroup", "GetWorkgroup", "ListWorkgroups", "UpdateWorkgroup", "DeleteWorkgroup",
                         "CreateUsageLimit", "UpdateUsageLimit", "DeleteUsageLimit", "ListUsageLimits",
                         "ListSnapshots", "TagResource", "UntagResource", "ListTagsForResource", "GetCredentials")
# X-Amz-Target prefix -> (botocore service name, the operations served)
SERVICES = {"RedshiftData": ("redshift-data", OPERATIONS), "RedshiftServerless": ("redshift-serverless",
                                                                                  SERVERLESS_OPERATIONS)}
_model_lock = threading.Lock()
_models: dict[str, Any] = {}


def service_model(name: str = "redshift-data") -> Any:
    with _model_lock:
        if name not in _models:
            import botocore.session

            _models[name] = botocore.session.get_session().get_service_model(name)
        return _models[name]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def validate(shape: Any, value: Any, path: str, errors: list[str]) -> None:
    """Collect in ``errors`` how ``value`` breaks ``shape`` (a botocore shape)."""
    kind = shape.type_name
    meta = shape.metadata
    types = {"string": str, "integer": int, "long": int, "boolean": bool, "list": list, "structure": dict,
             "double": (int, float), "float": (int, float), "map": dict}
    expected = types.get(kind)
    if expected and (not isinstance(value, expected) or (kind in ("integer", "long") and isinstance(value, bool))):
        errors.append(f"Value at '{path}' failed to satisfy constraint: Member must be of type {kind}")
        return
    if kind == "structure":
        for name in shape.required_members:
            if name not in value:
                errors.append(f"Value null at '{path + '.' if path else ''}{name[0].lower() + name[1:]}' failed to "
                              "satisfy constraint: Member must not be null")
        for name, member_value in value.items():
            member = shape.members.get(name)
            if member is None:
                errors.append(f"Unknown member '{name}' at '{path or 'request'}'")
                continue
            validate(member, member_value, (path + "." if path else "") + name[0].lower() + name[1:], errors)
        return
    if kind in ("string", "list"):
        length = len(value)
        if "min" in meta and length < meta["min"]:
            errors.append(f"Value at '{path}' failed to satisfy constraint: Member must have length greater than or "
                          f"equal to {meta['min']}")
        if "max" in meta and length > meta["max"]:
            errors.append(f"Value at '{path}' failed to satisfy constraint: Member must have length less than or "
                          f"equal to {meta['max']}")
    if kind == "string":
        if "enum" in meta and value not in meta["enum"]:
            errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must satisfy enum value "
                          f"set: [{', '.join(meta['enum'])}]")
        if "pattern" in meta and not re.fullmatch(meta["pattern"], value):
            errors.append(f"Value '{value[:64]}' at '{path}' failed to satisfy constraint: Member must satisfy regular "
                          f"expression pattern: {meta['pattern']}")
    if kind in ("integer", "long"):
        if "min" in meta and value < meta["min"]:
            errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have value greater "
                          f"than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must have value less than "
                          f"or equal to {meta['max']}")
    if kind == "list":
        for i, item in enumerate(value):
            validate(shape.member, item, f"{path}.{i + 1}.member", errors)


class Handler(BaseHTTPRequestHandler):
    endpoint: Any = None  # the api.Endpoint, set by serve()
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt: str, *args: Any) -> None:
        log.debug(fmt, *args)

    def do_GET(self) -> None:  # noqa: N802 - the stack's liveness probe
        self._send(200, {"service": "rehearsal redshift-data"})

    def do_POST(self) -> None:  # noqa: N802
        try:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            target = self.headers.get("X-Amz-Target", "")
            prefix, _, operation = target.partition(".")
            service, served = SERVICES.get(prefix, ("", ()))
            if not service or operation not in service_model(service).operation_names:
                raise ApiError("UnknownOperationException", f"unknown operation {target!r}")
            if operation not in served:
                raise ApiError("UnknownOperationException", f"{operation} is not served by this rehearsal endpoint")
            region = signed_region(self.headers.get("Authorization", ""), service)
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                raise ApiError("SerializationException", "the request body is not JSON") from None
            errors: list[str] = []
            validate(service_model(service).operation_model(operation).input_shape, request, "", errors)
            if errors:
                raise ApiError("ValidationException",
                               f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} detected: "
                               + "; ".join(errors))
            if service == "redshift-data":  # IAM first, as AWS authorises before it serves
                self.endpoint.gate.check(operation, request, region, self.headers.get("Authorization", ""))
            if service == "redshift-serverless":
                self.endpoint.gate.check_serverless(operation, request, region, self.headers.get("Authorization", ""))
                who = self.endpoint.control.caller(self.headers.get("Authorization", ""), region)
                result = getattr(self.endpoint.serverless_of(who.account), _snake(operation))(request, who)
            elif operation in ("ExecuteStatement", "BatchExecuteStatement", "ListStatements"):  # the signer's own
                result = getattr(self.endpoint, _snake(operation))(
                    request, region, authorization=self.headers.get("Authorization", ""))
            else:
                result = getattr(self.endpoint, _snake(operation))(request, region)
            self._send(200, result)
        except ApiError as exc:
            self._send(exc.status, exc.body())
        except Exception as exc:  # the endpoint's own fault: a 500 the client can read
            log.exception("internal error")
            self._send(500, {"__type": "InternalServerException", "message": f"internal error: {exc}"})

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, default=_timestamp).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "rehearsal")
        self.end_headers()
        self.wfile.write(data)


def _timestamp(value: Any) -> float:
    """A ``datetime`` as AWS JSON's timestamps are: seconds since the epoch."""
    return value.timestamp()


def serve(endpoint: Any, port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server for ``endpoint`` on 127.0.0.1:``port`` (0: a free one), not yet serving."""
    handler = type("BoundHandler", (Handler,), {"endpoint": endpoint})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server
