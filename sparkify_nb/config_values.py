"""The value parsers of :mod:`sparkify_nb.config`: each takes the text of a
setting and returns the parsed value, or raises ``ValueError`` whose message
says what is allowed (config adds the file, section and key).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def stripped(value: str) -> str:
    return value.strip()


def choice(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.strip().lower()
        if value not in allowed:
            raise ValueError("one of: " + ", ".join(allowed))
        return value
    return parse


def whole_number(lo: int, hi: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            raise ValueError(f"a whole number from {lo} to {hi}") from None
        if not lo <= number <= hi:
            raise ValueError(f"a whole number from {lo} to {hi}")
        return number
    return parse


def boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("true or false")


def cidrs(value: str) -> tuple[str, ...]:
    out = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            out.append(str(ipaddress.ip_network(item, strict=True)))
        except ValueError:
            raise ValueError(f"comma-separated CIDR blocks like 203.0.113.7/32 (bad: {item!r})") from None
    return tuple(out)


def s3_or_path(value: str) -> str:
    value = value.strip()
    if value and not value.startswith("s3://") and "://" in value:
        raise ValueError("an s3://bucket/prefix URI or a local path")
    return value


def capacity(value: str) -> int:
    """Redshift Serverless base capacity in RPUs: 4, then 8 to 512 in steps of 8,
    then 512 to 1024 in steps of 32 (1024 only in some regions). Source:
    https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-capacity.html"""
    allowed = "4, a multiple of 8 from 8 to 512, or a multiple of 32 from 544 to 1024 (RPUs)"
    try:
        number = int(value.strip())
    except ValueError:
        raise ValueError(allowed) from None
    if number == 4 or (8 <= number <= 512 and number % 8 == 0) or (512 < number <= 1024 and number % 32 == 0):
        return number
    raise ValueError(allowed)


def optional_capacity(value: str) -> int | None:
    """:func:`capacity`, or None when empty."""
    return capacity(value) if value.strip() else None


# PutRetentionPolicy's retentionInDays (botocore's model of CloudWatch Logs lists these values).
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
                  3653)


def retention_days(value: str) -> int:
    """Days CloudWatch Logs keeps log events: one of :data:`RETENTION_DAYS`."""
    try:
        number = int(value.strip())
    except ValueError:
        number = 0
    if number not in RETENTION_DAYS:
        raise ValueError("one of " + ", ".join(map(str, RETENTION_DAYS)) + " (days; CloudWatch Logs takes no other)")
    return number


def refusing(parse: Callable[[str], str], refused: str, why: str) -> Callable[[str], str]:
    """``parse``, refusing the value ``refused`` because of ``why``."""
    def check(value: str) -> str:
        parsed = parse(value)
        if parsed == refused:
            raise ValueError(f"a name other than {refused!r} ({why})")
        return parsed
    return check


def identifier(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,62}", value):
        raise ValueError("lowercase letters, digits and hyphens, starting with a letter (at most 63)")
    return value


def sql_name(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", value):
        raise ValueError("a lowercase SQL name: letters, digits and underscores")
    return value


def day(value: str) -> dt.date | None:
    """A UTC calendar day ``YYYY-MM-DD``; empty means "not given" (None: open-ended)."""
    value = value.strip()
    if not value:
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise ValueError("a day as YYYY-MM-DD, e.g. 2018-11-01 (UTC), or empty for open-ended")


def time_zone(value: str) -> str:
    value = value.strip()
    try:
        if value:
            ZoneInfo(value)
            return value
    except (ZoneInfoNotFoundError, ValueError):
        pass
    raise ValueError("an IANA time zone such as UTC or America/New_York")


def schedule(value: str) -> str:
    """A Redshift scheduled-action schedule, or empty for none. Formats from
    https://docs.aws.amazon.com/redshift/latest/APIReference/API_ScheduledAction.html:
    ``cron(Minutes Hours Day-of-month Month Day-of-week Year)`` (UTC), where one of
    the two day fields must be ``?``, or once ``at(yyyy-mm-ddThh:mm:ss)``."""
    value = value.strip()
    if not value:
        return ""
    cron = re.fullmatch(r"cron\((.*)\)", value)
    fields = cron.group(1).split() if cron else []
    if (cron and len(fields) == 6 and "?" in (fields[2], fields[4])) or \
            re.fullmatch(r"at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)", value):
        return value
    raise ValueError("empty, or a Redshift schedule: cron(Minutes Hours Day-of-month Month Day-of-week Year) with "
                     "? in one of the day fields, e.g. cron(0 20 * * ? *) for every day at 20:00 UTC, or "
                     "at(2030-01-31T20:00:00)")


def optional_whole_number(lo: int, hi: int) -> Callable[[str], int | None]:
    whole = whole_number(lo, hi)

    def parse(value: str) -> int | None:
        return whole(value) if value.strip() else None
    return parse


def share(value: str) -> float:
    """A share from 0 to 1 (``0.01`` = 1 %)."""
    try:
        number = float(value.strip())
    except ValueError:
        number = -1.0
    if not 0.0 <= number <= 1.0:
        raise ValueError("a share from 0 to 1, e.g. 0.01 for 1 %")
    return number
