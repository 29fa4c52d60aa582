"""Per-user language preferences survive a restart; an unreadable file is ignored, never fatal."""

from __future__ import annotations

from pathlib import Path

from plantloop.ui.i18n import Language
from plantloop.ui.preferences import PreferenceStore


def test_a_users_language_is_kept_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "prefs.json"
    store = PreferenceStore(path)
    assert store.language("ann") is Language.EN
    store.set_language("ann", Language.ZH)
    assert PreferenceStore(path).language("ann") is Language.ZH
    assert PreferenceStore(path).language("bob") is Language.EN
    assert not list(tmp_path.glob(".prefs-*"))  # the temporary file was renamed into place


def test_an_unreadable_file_falls_back_to_the_default(tmp_path: Path) -> None:
    path = tmp_path / "prefs.json"
    path.write_text("{not json", encoding="utf-8")
    store = PreferenceStore(path, Language.ZH)
    assert store.language("ann") is Language.ZH
    store.set_language("ann", Language.EN)
    assert PreferenceStore(path).language("ann") is Language.EN
