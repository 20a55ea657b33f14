"""Thai first, English second: locale choice, Buddhist-Era dates, Bangkok time and Thai collation."""

from meetcore.i18n.collation import sort_key, sorted_by_name
from meetcore.i18n.dates import be_date, be_date_long, be_datetime, local_time, to_local

__all__ = ["be_date", "be_date_long", "be_datetime", "local_time", "sort_key", "sorted_by_name", "to_local"]
