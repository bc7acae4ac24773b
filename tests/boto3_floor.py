"""Does the boto3 floor in pyproject.toml hold every request the suite sends?

``make boto3-floor`` (or ``python -m tests.boto3_floor [--version X.Y.Z]``):

1. runs the tests that build AWS requests (those using botocore's Stubber,
   and the rehearsal of a whole Redshift run, whose Data API requests are
   real) with every request recorded: service, operation and parameters, as
   botocore received them (:func:`sparkify_nb.aws.log_requests`);
2. installs botocore at the floor (``boto3>=X`` in pyproject.toml; boto3 X
   pins botocore X.*) into a scratch virtual environment;
3. validates each recorded request against that release's service model, as
   a boto3 client of that release would before sending it.

It fails naming each operation and parameter the floor's models lack (for
example ``redshift-data BatchExecuteStatement: Unknown parameter in input:
"Parameters"``), the ParamValidationError a user on that release would get.
Needs the network to PyPI (pip); takes about a minute.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from sparkify_nb.aws import REQUEST_LOG_ENV

ROOT = Path(__file__).resolve().parent.parent

VALIDATE = r'''
import pickle, sys, botocore, botocore.session
from botocore.validate import ParamValidator
session = botocore.session.get_session()
seen, failures = set(), []
with open(sys.argv[1], "rb") as log:
    while True:
        try:
            service, operation, params = pickle.load(log)
        except EOFError:
            break
        try:
            model = session.get_service_model(service).operation_model(operation)
        except Exception as exc:
            failures.append(f"{service} {operation}: not in this release's model ({type(exc).__name__})")
            continue
        report = ParamValidator().validate(params, model.input_shape)
        seen.add((service, operation))
        if report.has_errors():
            failures.append(f"{service} {operation}: " + report.generate_report().replace("\n", "; "))
print(f"botocore {botocore.__version__}: {len(seen)} operations checked")
for line in sorted(set(failures)):
    print("  " + line)
sys.exit(1 if failures else 0)
'''


def floor_version() -> str:
    """The X.Y.Z of ``boto3>=X.Y.Z`` in pyproject.toml."""
    found = re.search(r'"boto3>=([0-9.]+)"', (ROOT / "pyproject.toml").read_text())
    if not found:
        raise SystemExit("pyproject.toml: no boto3>=X.Y.Z dependency found")
    return found.group(1)


# The rehearsal sends, through real clients, every Data API request a Redshift run sends.
WHOLE_RUNS = ("tests/test_whole_runs.py",)


def request_tests() -> list[str]:
    """Test files whose requests are checked: those using botocore's Stubber (the
    requests the emulator cannot serve) and the rehearsal of a whole Redshift run."""
    stubbed = [p for p in (ROOT / "tests").glob("test_*.py") if "Stubber" in p.read_text()]
    return sorted({str(p.relative_to(ROOT)) for p in stubbed} | {t for t in WHOLE_RUNS if (ROOT / t).is_file()})


def record(log: Path) -> None:
    """Run :func:`request_tests` with every request appended to ``log`` (kernels inherit the setting)."""
    env = {**os.environ, REQUEST_LOG_ENV: str(log)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "-x", *request_tests()],
                          cwd=ROOT, env=env)
    if done.returncode:
        raise SystemExit("the tests failed; fix them before checking the floor")


def validate(log: Path, version: str, scratch: Path) -> int:
    """Install botocore ``version`` into a venv under ``scratch`` and validate the log with it."""
    venv = scratch / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    f"botocore=={version}"], check=True)
    return subprocess.run([str(python), "-c", VALIDATE, str(log)]).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", help="botocore release to check (default: the floor in pyproject.toml)")
    parser.add_argument("--log", type=Path, help="reuse a request log recorded earlier (skips the tests)")
    args = parser.parse_args(argv)
    version = args.version or floor_version()
    with tempfile.TemporaryDirectory(prefix="boto3-floor-") as scratch:
        log = args.log or Path(scratch) / "requests.pickle"
        if not args.log:
            record(log)
        print(f"checking the recorded requests against botocore {version}")
        return validate(log, version, Path(scratch))


if __name__ == "__main__":
    sys.exit(main())
