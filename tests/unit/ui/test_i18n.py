"""The English and Chinese catalogs hold the same keys with the same placeholders, and lookups fall back."""

from __future__ import annotations

import re
from pathlib import Path

from plantloop.ui.i18n import Language, catalog, placeholders, translate, translate_value

UI = Path(__file__).resolve().parents[3] / "src" / "plantloop" / "ui"


def test_both_catalogs_have_the_same_keys_and_placeholders() -> None:
    en, zh = catalog(Language.EN), catalog(Language.ZH)
    assert set(en) == set(zh)
    for key, text in en.items():
        assert placeholders(text) == placeholders(zh[key]), key
        assert zh[key] != "" and en[key] != "", key


def test_every_literal_key_the_pages_use_exists() -> None:
    en = catalog(Language.EN)
    used = set()
    for path in UI.rglob("*.py"):
        used |= set(re.findall(r'\bt\(\s*"([a-z_]+\.[a-z_.]+)"', path.read_text(encoding="utf-8")))
    assert used and not sorted(used - set(en))


def test_languages_parse_from_browser_and_settings_spellings() -> None:
    assert Language.parse("zh-CN,zh;q=0.9,en;q=0.8") is Language.ZH
    assert Language.parse("zh_Hans") is Language.ZH
    assert Language.parse("fr-FR") is Language.EN
    assert Language.parse(None, Language.ZH) is Language.ZH
    assert Language.ZH.quasar == "zh-CN"


def test_placeholders_are_filled_and_unknown_values_stay_as_they_are() -> None:
    assert translate("home.welcome", Language.ZH, user="ann") == "欢迎，ann"
    assert translate("no.such.key", Language.ZH) == "no.such.key"
    assert translate_value("equipment_state", "execute", Language.ZH) == "运行"
    assert translate_value("equipment_state", "teleporting", Language.EN) == "teleporting"
