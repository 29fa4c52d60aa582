"""Translations of the web UI: English and Simplified Chinese message catalogs, one YAML file per language.

Keys are dotted names (``screen.oee``); values may hold ``{name}`` placeholders filled by :func:`translate`.
English is complete by definition; a key missing in another language falls back to English (and the
catalog test fails, so that it does not stay missing). Domain words that come from data — decision kinds,
statuses, equipment states — are translated through keys like ``status.in_progress``; an unknown value is
shown as it is.
"""

from __future__ import annotations

import functools
import string
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

LOCALES_DIR = Path(__file__).resolve().parent / "locales"


class Language(StrEnum):
    EN = "en"
    ZH = "zh"

    @classmethod
    def parse(cls, text: str | None, default: Language | None = None) -> Language:
        """``en``, ``zh``, ``zh-CN``, ``zh_Hans`` … → a language; anything else → ``default`` (English)."""
        if text:
            head = text.strip().lower().replace("_", "-").split("-")[0]
            for lang in cls:
                if lang.value == head:
                    return lang
        return default or cls.EN

    @property
    def quasar(self) -> str:
        """Quasar's language pack name (date pickers, tables)."""
        return "zh-CN" if self is Language.ZH else "en-US"


def _flatten(prefix: str, node: Any, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out)
    else:
        out[prefix] = str(node)


@functools.cache
def catalog(lang: Language) -> dict[str, str]:
    """All messages of ``lang`` as a flat ``{key: text}`` mapping (loaded once)."""
    raw = yaml.safe_load((LOCALES_DIR / f"{lang.value}.yaml").read_text(encoding="utf-8")) or {}
    out: dict[str, str] = {}
    _flatten("", raw, out)
    return out


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def translate(key: str, lang: Language, /, **values: Any) -> str:
    """The message ``key`` in ``lang`` with ``values`` filled in; the key itself if no catalog has it."""
    text = catalog(lang).get(key)
    if text is None:
        text = catalog(Language.EN).get(key, key)
    if values:
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def translate_value(group: str, value: str | None, lang: Language) -> str:
    """A data value (status, kind, state) through ``<group>.<value>``; unknown values stay as they are."""
    if value is None:
        return ""
    key = f"{group}.{value}"
    text = catalog(lang).get(key) or catalog(Language.EN).get(key)
    return text if text is not None else value
