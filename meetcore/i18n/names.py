"""Names kept in Thai and English on the row (name_th / name_en, title_th / title_en), in the page's
language."""

from __future__ import annotations

from flask_babel import get_locale


def localized_name(obj, attr: str = "name") -> str:
    """obj.name_th or obj.name_en (or title_th/title_en) for the current language, Thai as fallback."""
    if obj is None:
        return ""
    lang = str(get_locale() or "th")
    preferred = getattr(obj, f"{attr}_{lang}", None)
    return preferred or getattr(obj, f"{attr}_th", "") or ""
