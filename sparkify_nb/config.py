"""Settings: ``dwh.cfg`` (INI, optional on ``local``) plus environment overrides.

Precedence, lowest first: built-in defaults, ``dwh.cfg``, environment variables
``SPARKIFY_<SECTION>_<KEY>`` (e.g. ``SPARKIFY_CLUSTER_NODE_COUNT=4``), then the
``overrides`` passed to :func:`load` (a notebook's parameters: the one door
through which they reach a stage; ``""`` or ``None`` means "not given", and a
wrong one is named as ``parameter <name>``). Shortcuts:
``SPARKIFY_TARGET`` for ``[general] target`` and ``SPARKIFY_DSN`` for
``[local] dsn``.

Secrets are never read from the file: a key that looks like one (password,
secret, token, access key) is refused with the name of the environment
variable to use instead. The database password, where one is needed at all,
comes from ``SPARKIFY_DB_PASSWORD``.

Example::

    >>> from sparkify_nb import config
    >>> settings = config.load(overrides={"general.target": "local"})
    >>> settings.target
    'local'
"""

from __future__ import annotations

import configparser
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import SparkifyError, config_names, paths
from .config_values import (boolean, capacity, choice, cidrs, day, identifier, optional_capacity,
                            optional_whole_number, refusing, retention_days, s3_or_path, schedule, share, sql_name,
                            stripped, time_zone, whole_number)

TARGETS = ("local", "redshift")
ACCESS_MODES = ("data_api", "direct")
# Ports RA3 clusters and Serverless workgroups take (CreateCluster's Port, CreateWorkgroup's port):
# https://docs.aws.amazon.com/redshift/latest/APIReference/API_CreateCluster.html ; dc2 nodes took 1150-65535.
PORT_RANGES = ((5431, 5455), (8191, 8215))
# Keys that no longer exist, with what replaced them (refused wherever they are given).
REMOVED = {
    ("cluster", "publicly_accessible"): "replaced by [cluster] access: data_api (the default: private cluster, SQL "
                                        "over the Redshift Data API) or direct (public endpoint)",
}
SECRET_KEY = re.compile(r"pass(word)?|secret|token|access_key|session_key|credential", re.I)


class ConfigError(SparkifyError):
    """A setting is missing or wrong; the message names where it came from (file,
    environment variable or notebook parameter), the key and what is allowed.
    ``parameter`` is the notebook parameter's name when one was wrong, else None."""

    def __init__(self, message: str, parameter: str | None = None):
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True)
class Key:
    section: str
    name: str
    parse: Callable[[str], Any]
    default: str
    doc: str


# Every key dwh.cfg may hold. dwh.cfg.example documents the same list (a test checks).
KEYS: tuple[Key, ...] = (
    Key("general", "target", choice(*TARGETS), "local", "local (embedded PostgreSQL + AWS emulator) or redshift (real AWS)"),
    Key("general", "stack_name", identifier, "sparkify", "tag value and name prefix of every resource we create"),
    Key("general", "region", stripped, "us-west-2", "AWS region (the public Udacity data is in us-west-2)"),
    Key("general", "adopt_stack", boolean, "false",
        "01 and 99 work on a stack another identity made (its sparkify:owner tag); false: they stop, naming the owner"),
    Key("general", "rehearsal", boolean, "false", "with target = redshift: rehearse the Redshift run on the local stack "
        "(AWS emulator + local Data API endpoint; nothing reaches AWS, nothing bills); sparkify-nb run --rehearse sets it"),
    Key("general", "rehearsal_policy", stripped, "", "a rehearsal's operator holds this IAM policy (a JSON file: one "
        "policy document or a list of them, as your administrator gave them); empty: the one `sparkify-nb iam-policy` "
        "prints; sparkify-nb run --rehearse --policy FILE sets it"),
    Key("cluster", "kind", choice("provisioned", "serverless"), "provisioned", "provisioned cluster or Redshift Serverless"),
    Key("cluster", "access", choice(*ACCESS_MODES), "data_api", "data_api (private, SQL over the Redshift Data API) or direct (public endpoint, psycopg2 over SSL)"),
    Key("cluster", "identifier", identifier, "sparkify-dwh", "cluster identifier"),
    Key("cluster", "node_type", stripped, "ra3.large", "node type of a provisioned cluster"),
    Key("cluster", "node_count", whole_number(1, 128), "2", "number of nodes (1 = single-node)"),
    Key("cluster", "base_capacity", capacity, "8", "serverless base capacity in RPUs: 4, 8..512 by 8, 544..1024 by 32"),
    Key("cluster", "max_capacity", optional_capacity, "", "serverless: the most RPUs the workgroup scales to (its cost "
        "ceiling), at least base_capacity, same steps; empty: base_capacity"),
    Key("cluster", "db_name", refusing(sql_name, "dev", "Security Hub control Redshift.9 fails on the default name"),
        "sparkify", "database name"),
    Key("cluster", "db_user", refusing(sql_name, "awsuser", "Security Hub control Redshift.8 fails on the default name"),
        "sparkify_admin", "master user name (its password never lives in this file)"),
    Key("cluster", "port", whole_number(1150, 65535), "5439", "database port: 5431-5455 or 8191-8215 (RA3, Serverless)"),
    Key("cluster", "analyst_user", sql_name, "sparkify_analyst",
        "the read-only database user 04 runs as (member of the group analysts that 02 makes)"),
    Key("cluster", "ssl_root_cert", stripped, "",
        "access = direct: PEM file of the CAs that verify the warehouse's certificate; empty: the one the package uses "
        "(sparkify_nb/warehouse/tls.py)"),
    Key("cluster", "final_snapshot", boolean, "false", "take a final snapshot when tearing down"),
    Key("cluster", "log_retention_days", retention_days, "30", "days CloudWatch Logs keeps the audit logs"),
    Key("cluster", "keep_logs", boolean, "false", "99 keeps the audit log groups (untagged, retention kept)"),
    Key("network", "allowed_cidrs", cidrs, "", "CIDR blocks allowed to reach the cluster port; empty: your public IP /32 (redshift), 127.0.0.1/32 (local)"),
    Key("network", "allow_public_ingress", boolean, "false", "permit 0.0.0.0/0 in allowed_cidrs (warned about)"),
    Key("s3", "song_data", s3_or_path, "", "song files: s3://bucket/prefix or a local folder; empty: the default source of the target"),
    Key("s3", "log_data", s3_or_path, "", "event log files: s3://bucket/prefix or a local folder"),
    Key("s3", "log_jsonpath", s3_or_path, "", "jsonpaths file for the events; empty: the default of the target"),
    Key("etl", "max_errors", whole_number(0, 100000), "10", "Redshift MAXERROR: a load with this many rejected records or more aborts (0 and 1: the first)"),
    Key("analytics", "start_date", day, "", "first UTC day of 04's period, YYYY-MM-DD; empty: from the first play"),
    Key("analytics", "end_date", day, "", "last UTC day of 04's period (included); empty: up to the last play"),
    Key("analytics", "level", choice("free", "paid", "all"), "all", "plays of free, paid or all users (level at the time of the play)"),
    Key("analytics", "top_n", whole_number(1, 10000), "10", "rows in each ranking of 04 (songs, artists, locations)"),
    Key("analytics", "tz", time_zone, "America/New_York", "IANA time zone of 04's local-time charts"),
    Key("analytics", "reports_dir", stripped, "", "where 04 writes charts and CSVs; empty: SPARKIFY_REPORTS_DIR, else .sparkify/reports"),
    Key("local", "dsn", stripped, "", "use this PostgreSQL instead of the embedded one (libpq connection string)"),
    # Cost guardrails (01 applies them; docs/redshift.md "Watching cost, pausing").
    Key("cluster", "resume", boolean, "true", "01, and a sparkify-nb run of 02-04, resume a paused cluster (the run "
        "pauses it again when done); false: they stop at once, saying it is paused"),
    Key("cluster", "pause_schedule", schedule, "", "pause a provisioned cluster on this Redshift schedule, e.g. cron(0 20 * * ? *) (UTC); empty: never"),
    Key("cluster", "max_rpu_hours_per_day", optional_whole_number(1, 1000000), "", "serverless: RPU-hours a day after which the workgroup stops taking queries; empty: no limit"),
    Key("cluster", "lease_hours", whole_number(0, 8760), "12", "redshift: hours after each 01 (or `sparkify-nb lease "
        "extend`) at which AWS itself deletes the warehouse, whether or not this machine is on; 0: no lease"),
    # --- scheduled loads: the load lock, daily selection, quality thresholds (issue 12) ---
    Key("etl", "lock_wait_seconds", whole_number(0, 86400), "600",
        "how long a load waits for another one that holds the warehouse before it stops"),
    Key("etl", "lock_expiry_seconds", whole_number(60, 86400), "900",
        "redshift: a lock holder silent (no heartbeat) this long is taken as crashed and replaced"),
    Key("etl", "day", day, "", "load only this UTC day's log file(s), YYYY-MM-DD; empty: every log file"),
    Key("etl", "days", whole_number(1, 3660), "1", "with day: the number of days loaded, ending on day"),
    Key("quality", "max_share_plays_without_user", share, "0.01",
        "share of plays with no valid userId (kept as the unknown user) above which 03 stops"),
    Key("quality", "min_share_plays_matched", share, "0",
        "share of plays matched to a catalogue song below which 03 warns"),
)
SECTIONS = tuple(dict.fromkeys(k.section for k in KEYS))

# Defaults that depend on the target.
REDSHIFT_SOURCES = {
    "song_data": "s3://udacity-dend/song_data",
    "log_data": "s3://udacity-dend/log_data",
    "log_jsonpath": "s3://udacity-dend/log_json_path.json",
}
# Where the default sources' bucket is on AWS (DESIGN.md); a rehearsal makes it there on the emulator.
KNOWN_BUCKET_REGIONS = {"udacity-dend": "us-west-2"}


def local_bucket(stack_name: str) -> str:
    """The emulator bucket that 01 fills with generated sample data on ``local``."""
    return f"{stack_name}-data"


@dataclass(frozen=True)
class Settings:
    """Validated settings. ``values[(section, key)]`` holds every parsed key;
    the properties name the ones used most."""

    values: dict[tuple[str, str], Any]
    source: Path | None = None
    origins: dict[tuple[str, str], str] = field(default_factory=dict)

    def get(self, section: str, key: str) -> Any:
        return self.values[(section, key)]

    @property
    def target(self) -> str:
        return self.values[("general", "target")]

    @property
    def stack_name(self) -> str:
        return self.values[("general", "stack_name")]

    @property
    def region(self) -> str:
        return self.values[("general", "region")]

    @property
    def is_local(self) -> bool:
        return self.target == "local"

    @property
    def rehearsal(self) -> bool:
        """A rehearsal: ``target = redshift`` run against the local stack (DESIGN.md, "Rehearsal"):
        every code path of the Redshift run, with the AWS emulator and the local Data API endpoint
        for AWS."""
        return bool(self.values[("general", "rehearsal")])

    @property
    def on_emulator(self) -> bool:
        """True when the AWS endpoints are the local stack's (``local`` and a rehearsal): nothing reaches AWS."""
        return self.is_local or self.rehearsal

    @property
    def access(self) -> str:
        """``data_api`` (private cluster, SQL over the Data API) or ``direct`` (public endpoint)."""
        return self.values[("cluster", "access")]

    @property
    def publicly_accessible(self) -> bool:
        """Follows from ``[cluster] access``: only ``direct`` gives the cluster a public endpoint."""
        return self.access == "direct"

    def source_uri(self, name: str) -> str:
        """``song_data``, ``log_data`` or ``log_jsonpath``, with the target's default."""
        value = self.values[("s3", name)]
        if value:
            return value
        if self.is_local:
            bucket = local_bucket(self.stack_name)
            return f"s3://{bucket}/log_json_path.json" if name == "log_jsonpath" else f"s3://{bucket}/{name}"
        return REDSHIFT_SOURCES[name]

    def describe(self) -> dict[str, str]:
        """Every setting as text with where it came from (safe to print: holds no secret)."""
        return {f"{s}.{k}": f"{self.values[(s, k)]!r} ({self.origins.get((s, k), 'default')})" for s, k in self.values}


def db_password() -> str | None:
    """The database password from the environment (never from dwh.cfg), or None."""
    return os.environ.get("SPARKIFY_DB_PASSWORD") or None


_DSN_PASSWORD = re.compile(r"password\s*=|://[^/@:]*:[^/@]+@", re.I)


def dsn_has_password(dsn: str) -> bool:
    """True when a libpq DSN (URI or key=value) carries a password."""
    return bool(_DSN_PASSWORD.search(dsn))


def redact(dsn: str) -> str:
    """``dsn`` with any password replaced by ``***`` (for printing and logs)."""
    dsn = re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", dsn, flags=re.I)
    return re.sub(r"(://[^/@:]*:)[^/@]+@", r"\1***@", dsn)


def _key(section: str, name: str) -> Key | None:
    for key in KEYS:
        if key.section == section and key.name == name:
            return key
    return None


def _env_name(key: Key) -> str:
    return f"SPARKIFY_{key.section.upper()}_{key.name.upper()}"


SHORTCUTS = {"SPARKIFY_TARGET": ("general", "target"), "SPARKIFY_DSN": ("local", "dsn")}


def load(path: str | os.PathLike | None = None, overrides: dict[str, Any] | None = None,
         environ: dict[str, str] | None = None) -> Settings:
    """Read and validate the settings.

    ``path``: the INI file (default :func:`paths.config_path`); a missing file is
    fine and means defaults. ``overrides``: ``{"section.key": value}``; values
    that are ``None`` or ``""`` are skipped, so a notebook parameter left empty
    defers to the file. Raises :class:`ConfigError` naming the file, section and
    key of a wrong value, an unknown key, or a secret in the file.
    """
    environ = os.environ if environ is None else environ
    file = Path(path) if path else paths.config_path()
    raw: dict[tuple[str, str], tuple[str, str]] = {
        (k.section, k.name): (k.default, "default") for k in KEYS
    }
    if file.is_file():
        raw.update(_read_file(file))
    for (section, name), instead in REMOVED.items():
        env_name = f"SPARKIFY_{section.upper()}_{name.upper()}"
        if environ.get(env_name):
            raise ConfigError(f"{env_name}: [{section}] {name} is {instead}")
    for key in KEYS:
        env = environ.get(_env_name(key))
        if env is not None and env != "":
            raw[(key.section, key.name)] = (env, _env_name(key))
    for env_name, where in SHORTCUTS.items():
        if environ.get(env_name):
            raw[where] = (environ[env_name], env_name)
    for dotted, value in (overrides or {}).items():
        if value is None or value == "":
            continue
        section, _, name = dotted.partition(".")
        if (section, name) in REMOVED:
            raise ConfigError(f"override {dotted!r}: {REMOVED[(section, name)]}", parameter=name)
        if _key(section, name) is None:
            raise ConfigError(f"override {dotted!r}: unknown setting; use 'section.key' from dwh.cfg.example")
        raw[(section, name)] = (str(value).lower() if isinstance(value, bool) else str(value), "parameter")
    return _parse(raw, file)


def _read_file(file: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """The raw ``(value, origin)`` of every key set in ``file``; ConfigError
    for an unreadable file, an unknown section or key, or a secret."""
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"))
    try:
        parser.read(file, encoding="utf-8")
    except configparser.Error as exc:
        raise ConfigError(f"{file}: cannot be parsed as INI: {exc}") from None
    raw = {}
    for section in parser.sections():
        if section not in SECTIONS:
            raise ConfigError(f"{file}: unknown section [{section}]; allowed: {', '.join(SECTIONS)}")
        for name, value in parser.items(section):
            if SECRET_KEY.search(name):
                raise ConfigError(
                    f"{file} [{section}] {name}: secrets are never read from dwh.cfg; remove it and "
                    "set SPARKIFY_DB_PASSWORD in the environment (or use IAM credentials / an AWS profile)"
                )
            if (section, name) in REMOVED:
                raise ConfigError(f"{file} [{section}] {name}: {REMOVED[(section, name)]}")
            if _key(section, name) is None:
                allowed = ", ".join(k.name for k in KEYS if k.section == section)
                raise ConfigError(f"{file} [{section}] {name}: unknown key; allowed in [{section}]: {allowed}")
            if (section, name) == ("local", "dsn") and dsn_has_password(value):
                raise ConfigError(
                    f"{file} [local] dsn: holds a password; secrets are never read from dwh.cfg. "
                    "Drop it from the DSN and set PGPASSWORD (or use ~/.pgpass)"
                )
            raw[(section, name)] = (value, str(file.name))
    return raw


def _parse(raw: dict[tuple[str, str], tuple[str, str]], file: Path) -> Settings:
    """Parse every raw value into its type, then check the keys that depend on each other."""
    values: dict[tuple[str, str], Any] = {}
    origins: dict[tuple[str, str], str] = {}
    for key in KEYS:
        text, origin = raw[(key.section, key.name)]
        try:
            values[(key.section, key.name)] = key.parse(text)
        except ValueError as exc:
            raise _wrong(key, text, origin, file, f"expected {exc}") from None
        origins[(key.section, key.name)] = origin
    for (section, name), problem in _mismatches(values):
        raise _wrong(_key(section, name), raw[(section, name)][0], origins[(section, name)], file, problem)
    return Settings(values=values, source=file if file.is_file() else None, origins=origins)


def _mismatches(values: dict[tuple[str, str], Any]) -> list[tuple[tuple[str, str], str]]:
    """Keys whose value does not fit another key's, each with the problem."""
    out = []
    start, end = values[("analytics", "start_date")], values[("analytics", "end_date")]
    if start and end and end < start:
        out.append((("analytics", "end_date"), f"expected a day on or after start_date ({start:%Y-%m-%d})"))
    port, node_type = values[("cluster", "port")], values[("cluster", "node_type")]
    serverless = values[("cluster", "kind")] == "serverless"
    if (serverless or not node_type.startswith("dc2.")) and not any(lo <= port <= hi for lo, hi in PORT_RANGES):
        what = "Redshift Serverless" if serverless else f"{node_type} nodes"
        out.append((("cluster", "port"), f"expected a port in 5431-5455 or 8191-8215 for {what} (5439 is the "
                                         "default; only dc2 nodes took 1150-65535)"))
    if values[("cluster", "analyst_user")] == values[("cluster", "db_user")]:
        out.append((("cluster", "analyst_user"), "expected a user other than db_user: 04 runs as a read-only user, "
                    "never as the admin"))
    if values[("general", "rehearsal")]:
        out += _rehearsal_mismatches(values)
    base, most = values[("cluster", "base_capacity")], values[("cluster", "max_capacity")]
    if most is not None and most < base:
        out.append((("cluster", "max_capacity"), f"expected at least base_capacity ({base} RPU): the workgroup "
                                                 "cannot scale below its base"))
    if values[("network", "allowed_cidrs")] and values[("cluster", "access")] == "data_api":
        out.append((("network", "allowed_cidrs"), "applies to [cluster] access = direct only: with data_api the "
                    "cluster is private and its security group admits the VPC's own range, nothing else. "
                    "Empty it, or set access = direct"))
    out += config_names.problems(values)  # names AWS would refuse (config_names)
    return out


def _rehearsal_mismatches(values: dict[tuple[str, str], Any]) -> list[tuple[tuple[str, str], str]]:
    """What a rehearsal cannot run: any other target than ``redshift`` (every ``kind`` and ``access``
    of it is rehearsed: the emulator's Redshift or the rehearsal's Serverless control plane, the Data
    API endpoint or the wire-protocol front door)."""
    if values[("general", "target")] != "redshift":
        return [(("general", "rehearsal"), "a rehearsal runs the redshift target on the local stack: set target = "
                 "redshift with it (sparkify-nb run --rehearse does), or leave rehearsal = false")]
    return []


def _wrong(key: Key, text: str, origin: str, file: Path, problem: str) -> ConfigError:
    """The error for a bad value, worded after where it came from: a notebook
    parameter by its name, a file or environment variable with section and key."""
    if origin == "parameter":
        return ConfigError(f"parameter {key.name} = {text!r}: {problem} (setting [{key.section}] {key.name})",
                           parameter=key.name)
    where = f"{file}" if origin == file.name else origin
    return ConfigError(f"{where} [{key.section}] {key.name} = {text!r}: {problem}")
