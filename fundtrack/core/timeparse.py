"""Moments given by users: an ISO date-time, or a date meaning the end of that day in
Asia/Shanghai. Stored and compared as naive UTC, as continuum's transaction table does."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def local_today() -> date:
    """Today's date in Asia/Shanghai: the business date of a decision made now (the
    server's own calendar may be UTC, eight hours behind)."""
    return datetime.now(LOCAL_ZONE).date()


def parse_moment(text: str) -> datetime:
    """``2018-03-31`` → the end of that day in Shanghai; ``2018-03-31T12:00`` (local when no
    offset) or ``…+08:00`` / ``…Z``. Returns naive UTC. Raises ``ValueError``."""
    text = (text or "").strip()
    if len(text) > 40:
        raise ValueError("too long")
    try:
        return _parse(text)
    except OverflowError:  # a moment beyond year 1–9999 once moved to UTC
        raise ValueError("out of range") from None


def _parse(text: str) -> datetime:
    if len(text) == 10:
        day = date.fromisoformat(text)
        moment = datetime.combine(day + timedelta(days=1), time.min, LOCAL_ZONE)
        moment -= timedelta(microseconds=1)
    else:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=LOCAL_ZONE)
    return moment.astimezone(UTC).replace(tzinfo=None)
