"""The file's times: UK local time without a zone (data README quirk 13)."""

from datetime import datetime
from zoneinfo import ZoneInfo

DATA_TZ = ZoneInfo("Europe/London")


def aware(moment: datetime) -> datetime:
    """``moment`` (naive, as in the file) in UK local time."""
    return moment.replace(tzinfo=DATA_TZ)
