"""The root-word glossary (OneData style): one canonical field name per business word, with its synonyms.

``order_id ≡ WorkNo ≡ OrderID ≡ 工单号``. Lookups ignore case, spaces, ``_``, ``-`` and ``.``, so
``Order ID``, ``order-id`` and ``ORDERID`` all resolve to ``order_id``. The field dictionary uses it to name
a target column when the config leaves ``target`` out, and to refuse a target that is a synonym of another
term (two spellings of one word would split the warehouse).
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from plantloop.dataplatform.governance.config_files import load_config, shipped_config

CANONICAL_NAME = r"^[a-z][a-z0-9_]*$"
_SEPARATORS = re.compile(r"[\s_\-.]+")


def normalize_term(name: str) -> str:
    """Lower case, separators removed: the key synonyms are compared on."""
    return _SEPARATORS.sub("", name.strip().casefold())


class Term(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    type: str = "string"
    unit: str | None = None
    synonyms: list[str] = []


class Glossary(BaseModel):
    """Terms by canonical name. Validation rejects a synonym claimed by two terms."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    terms: dict[str, Term] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _no_shared_synonyms(self) -> Self:
        owners: dict[str, str] = {}
        problems: list[str] = []
        for name, term in self.terms.items():
            if not re.match(CANONICAL_NAME, name):
                problems.append(f"term {name!r} is not a canonical snake_case name")
            for word in [name, *term.synonyms]:
                key = normalize_term(word)
                if key in owners and owners[key] != name:
                    problems.append(f"{word!r} is claimed by both {owners[key]!r} and {name!r}")
                owners[key] = name
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @cached_property
    def _index(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for name, term in self.terms.items():
            for word in [name, *term.synonyms]:
                index[normalize_term(word)] = name
        return index

    def canonical(self, name: str) -> str | None:
        """The canonical field for ``name`` (itself a canonical name or any synonym), or None."""
        return self._index.get(normalize_term(name))

    def synonyms_of(self, canonical: str) -> list[str]:
        term = self.terms.get(canonical)
        return list(term.synonyms) if term else []


DEFAULT_GLOSSARY_PATH = shipped_config("glossary.yaml")


def load_glossary(path: Path | str | None = None) -> Glossary:
    """Load a glossary file (the one shipped with the package by default)."""
    return load_config(Glossary, path or DEFAULT_GLOSSARY_PATH)
