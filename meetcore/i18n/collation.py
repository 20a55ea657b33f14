"""Thai names sorted by ICU collation (dictionary order), never by code point."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TypeVar

import icu

T = TypeVar("T")


@lru_cache(maxsize=4)
def _collator(locale: str) -> icu.Collator:
    return icu.Collator.createInstance(icu.Locale(locale))


def sort_key(text: str | None, locale: str = "th_TH") -> bytes:
    return _collator(locale).getSortKey(text or "")


def sorted_by_name(items: Iterable[T], name: Callable[[T], str | None], locale: str = "th_TH") -> list[T]:
    collator = _collator(locale)
    return sorted(items, key=lambda item: collator.getSortKey(name(item) or ""))
