"""The listeners: a name matching their gender, a US metro area (which sets
their time zone), a user agent, a registration before the period, a level
that may change mid-period, and a long-tailed activity."""

from __future__ import annotations

import bisect
import json
import random
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from .names import FIRST_NAMES_F, FIRST_NAMES_M, LAST_NAMES

# US metropolitan areas (Census naming), their time zone and population in millions (2017 estimates,
# rounded): users are spread by population, and their local time drives when they listen.
METROS = (
    ("New York-Newark-Jersey City, NY-NJ-PA", "America/New_York", 20.3),
    ("Los Angeles-Long Beach-Anaheim, CA", "America/Los_Angeles", 13.4),
    ("Chicago-Naperville-Elgin, IL-IN-WI", "America/Chicago", 9.5),
    ("Dallas-Fort Worth-Arlington, TX", "America/Chicago", 7.4),
    ("Houston-The Woodlands-Sugar Land, TX", "America/Chicago", 6.9),
    ("Washington-Arlington-Alexandria, DC-VA-MD-WV", "America/New_York", 6.2),
    ("Miami-Fort Lauderdale-West Palm Beach, FL", "America/New_York", 6.2),
    ("Philadelphia-Camden-Wilmington, PA-NJ-DE-MD", "America/New_York", 6.1),
    ("Atlanta-Sandy Springs-Roswell, GA", "America/New_York", 5.9),
    ("Boston-Cambridge-Newton, MA-NH", "America/New_York", 4.8),
    ("Phoenix-Mesa-Scottsdale, AZ", "America/Phoenix", 4.7),
    ("San Francisco-Oakland-Hayward, CA", "America/Los_Angeles", 4.7),
    ("Riverside-San Bernardino-Ontario, CA", "America/Los_Angeles", 4.6),
    ("Detroit-Warren-Dearborn, MI", "America/Detroit", 4.3),
    ("Seattle-Tacoma-Bellevue, WA", "America/Los_Angeles", 3.9),
    ("Minneapolis-St. Paul-Bloomington, MN-WI", "America/Chicago", 3.6),
    ("San Diego-Carlsbad, CA", "America/Los_Angeles", 3.3),
    ("Tampa-St. Petersburg-Clearwater, FL", "America/New_York", 3.1),
    ("Denver-Aurora-Lakewood, CO", "America/Denver", 2.9),
    ("St. Louis, MO-IL", "America/Chicago", 2.8),
    ("Portland-Vancouver-Hillsboro, OR-WA", "America/Los_Angeles", 2.5),
    ("Salt Lake City, UT", "America/Denver", 1.2),
    ("Urban Honolulu, HI", "Pacific/Honolulu", 1.0),
    ("Lansing-East Lansing, MI", "America/Detroit", 0.5),
    ("Portland-South Portland, ME", "America/New_York", 0.5),
    ("Anchorage, AK", "America/Anchorage", 0.4),
)
USER_AGENTS = (
    '"Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36"',
    '"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36"',
    "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:31.0) Gecko/20100101 Firefox/31.0",
    '"Mozilla/5.0 (iPhone; CPU iPhone OS 7_1_2 like Mac OS X) AppleWebKit/537.51.2 (KHTML, like Gecko) Version/7.0 Mobile/11D257 Safari/9537.53"',
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:31.0) Gecko/20100101 Firefox/31.0",
    '"Mozilla/5.0 (Windows NT 6.3; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36"',
    "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; WOW64; Trident/6.0)",
    '"Mozilla/5.0 (iPad; CPU OS 7_1_2 like Mac OS X) AppleWebKit/537.51.2 (KHTML, like Gecko) Version/7.0 Mobile/11D257 Safari/9537.53"',
)

LEVEL_CHANGE_SHARE = 0.2     # users whose level changes mid-period
PAID_SHARE = 0.3             # users paid at the start of the period


@dataclass
class User:
    """A listener. Times are epoch milliseconds UTC; ``change_at`` is when the
    level change is due (None: never), ``changed_ts`` when it happened."""

    user_id: str
    first_name: str
    last_name: str
    gender: str
    location: str
    tz: str
    user_agent: str
    registration: int
    level: str
    activity: float
    change_at: int | None
    changed_ts: int | None = None
    busy_until: int = 0
    # the fixed fields of a logged-in event, pre-rendered as JSON fragments
    json_name: str = ""
    json_last: str = ""
    json_place: str = ""
    json_registration: str = ""
    json_agent: str = ""

    def level_at(self, ts: int) -> str:
        """The level in force at ``ts`` (the new one from the Submit event on)."""
        if self.changed_ts is not None and ts > self.changed_ts:
            return "paid" if self.level == "free" else "free"
        return self.level


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def make_users(rng: random.Random, count: int, first_ms: int, span_ms: int) -> list[User]:
    """``count`` users with ids ``"1"`` .. ``str(count)``, registered up to 400 days before ``first_ms``."""
    metro_weights = list(accumulate(m[2] for m in METROS))
    users = []
    for uid in range(1, count + 1):
        gender = rng.choice("FM")
        first = rng.choice(FIRST_NAMES_F if gender == "F" else FIRST_NAMES_M)
        last = rng.choice(LAST_NAMES)
        metro = METROS[bisect.bisect_right(metro_weights, rng.random() * metro_weights[-1])]
        agent = rng.choice(USER_AGENTS)
        registered = first_ms - rng.randint(86_400_000, 400 * 86_400_000)
        level = "paid" if rng.random() < PAID_SHARE else "free"
        # paid users listen more: Sparkify's paid tier has a fraction of the users and most of the plays
        activity = rng.lognormvariate(0, 1) * (3 if level == "paid" else 1)
        change_at = (first_ms + int(span_ms * rng.uniform(0.1, 0.9))) if rng.random() < LEVEL_CHANGE_SHARE else None
        user = User(str(uid), first, last, gender, metro[0], metro[1], agent, registered, level, activity, change_at)
        user.json_name = f'"firstName":{json_text(first)},"gender":"{gender}"'
        user.json_last = f'"lastName":{json_text(last)}'
        user.json_place = f'"location":{json_text(metro[0])}'
        user.json_registration = f'"registration":{float(registered)!r}'
        user.json_agent = f'"userAgent":{json_text(agent)},"userId":"{uid}"'
        users.append(user)
    return users
