"""The receipts tests act in a meeting in session, as the minutes and action tests do."""

from tests.minutes.conftest import in_session, instant_text, item, live, scheduled  # noqa: F401
