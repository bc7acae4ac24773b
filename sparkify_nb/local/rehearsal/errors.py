"""The Data API's errors as the endpoint returns them: AWS JSON 1.1 error
bodies (``{"__type": Code, "message": ...}``, HTTP 400), codes from the error
shapes of botocore's service model (``redshift-data`` 2019-12-20)."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error response: ``code`` is a shape name of the service model
    (``ValidationException``, ``ResourceNotFoundException``, ...); ``fields``
    are that shape's other members (``ResourceId``, ``StatementId``)."""

    def __init__(self, code: str, message: str, status: int = 400, **fields: Any):
        super().__init__(message)
        self.code, self.message, self.status, self.fields = code, message, status, fields

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message, "Message": self.message, **self.fields}


def validation(message: str) -> ApiError:
    return ApiError("ValidationException", message)


def not_found(message: str, resource_id: str) -> ApiError:
    return ApiError("ResourceNotFoundException", message, ResourceId=resource_id)
