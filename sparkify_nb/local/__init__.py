"""The local stack: embedded PostgreSQL (pgserver), the AWS emulator (moto) and
the Redshift Data API endpoint of a rehearsal, as background processes
(``stack``); ``aws_emulator`` is the emulator's entry point, ``rehearsal`` the
endpoint's."""

from .rehearsal.backing import rehearsal_dsn
from .stack import (LocalStackError, aws_endpoint, data_api_endpoint, down, dsn, rehearsal_ca_path, require_running,
                    status, up, wire_address)

__all__ = ["LocalStackError", "aws_endpoint", "data_api_endpoint", "down", "dsn", "rehearsal_ca_path", "rehearsal_dsn",
           "wire_address",
           "require_running", "status", "up"]
