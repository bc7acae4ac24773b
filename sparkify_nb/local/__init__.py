"""The local stack: embedded PostgreSQL (pgserver) and the AWS emulator (moto)
as background processes (``stack``); ``aws_emulator`` is the emulator's entry point."""

from .stack import LocalStackError, aws_endpoint, down, dsn, require_running, status, up

__all__ = ["LocalStackError", "aws_endpoint", "down", "dsn", "require_running", "status", "up"]
