"""Per-user preferences of the web UI (today: the language), kept in a small JSON file in the data dir.

The language follows the user, not the browser: an operator who chose 中文 on one terminal gets 中文 on the
next. Writes are atomic (temporary file + rename) so that a crash never leaves half a file.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from pathlib import Path

from plantloop.ui.i18n import Language

log = logging.getLogger(__name__)


class PreferenceStore:
    """``language(user)`` / ``set_language(user, lang)``; ``path=None`` keeps everything in memory."""

    def __init__(self, path: Path | None, default_language: Language = Language.EN) -> None:
        self.path = path
        self.default_language = default_language
        self._lock = threading.Lock()
        self._data: dict[str, dict[str, str]] = self._load()

    def _load(self) -> dict[str, dict[str, str]]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable UI preferences %s: %s", self.path, exc)
            return {}
        if not isinstance(raw, dict):
            return {}
        return {str(u): {str(k): str(v) for k, v in p.items()} for u, p in raw.items() if isinstance(p, dict)}

    def language(self, username: str) -> Language:
        with self._lock:
            text = self._data.get(username, {}).get("language")
        return Language.parse(text, self.default_language) if text else self.default_language

    def set_language(self, username: str, language: Language) -> None:
        with self._lock:
            self._data.setdefault(username, {})["language"] = language.value
            self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".prefs-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(self._data, out, ensure_ascii=False, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            raise
