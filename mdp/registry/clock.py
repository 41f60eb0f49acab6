"""The platform's notion of "today", in its time zone.

A project is open on its end date and closed the day after, counted in the
platform's time zone (MDP_TIME_ZONE), not the server's or the user's.
"""

from datetime import date, datetime

from mdp import settings


def now() -> datetime:
    return datetime.now(settings.get().time_zone)


def today() -> date:
    return now().date()
