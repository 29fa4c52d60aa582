"""Match rules of the master-data crosswalk: pure functions from a source code (and name) to candidates.

Rules run in order and the first that decides wins: exact code (the code is a canonical id or a code
already mapped), normalized code (case, whitespace, punctuation, optionally leading zeros: ``im 01`` ≡
``IM-1``), alias table, fuzzy name similarity at or above a threshold. Two or more candidates that a
rule cannot tell apart make the result *ambiguous*; no candidate makes it *no match* — both go to the
steward queue, never silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from plantloop.dataplatform.governance.crosswalk_store import MatchRule

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")


class MatchRules(BaseModel):
    """Which rules run, and the fuzzy threshold. Configurable per entity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exact_code: bool = True
    normalized_code: bool = True
    strip_leading_zeros: bool = True
    aliases: bool = True
    fuzzy_name: bool = True
    fuzzy_threshold: float = Field(default=0.88, gt=0, le=1)
    fuzzy_margin: float = Field(default=0.05, ge=0, le=1, description="Best must beat second by this.")


def normalize_code(code: str, strip_leading_zeros: bool = True) -> str:
    """Case-folded, without whitespace or punctuation; digit runs without leading zeros if asked."""
    text = _PUNCT.sub("", code.strip().casefold())
    if strip_leading_zeros:
        text = _DIGITS.sub(lambda m: str(int(m.group())), text)
    return text


def normalize_name(name: str) -> str:
    return _SPACES.sub(" ", _PUNCT.sub(" ", name.casefold())).strip()


def name_similarity(a: str, b: str) -> float:
    """Similarity of two names in [0, 1] (difflib ratio on normalized names)."""
    return SequenceMatcher(None, normalize_name(a), normalize_name(b)).ratio()


class Outcome(StrEnum):
    MATCHED = "matched"
    AMBIGUOUS = "ambiguous"
    NO_MATCH = "no_match"


@dataclass(frozen=True)
class Candidate:
    canonical_id: str
    score: float
    rule: MatchRule


@dataclass(frozen=True)
class MatchResult:
    outcome: Outcome
    canonical_id: str | None = None
    rule: MatchRule | None = None
    score: float | None = None
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class MatchContext:
    """What matching compares against, loaded once per batch of codes."""

    golden_names: dict[str, str | None]  # canonical_id -> name
    mapped_codes: dict[str, str]  # source_code (any system) -> canonical_id; grows while resolving
    aliases: dict[str, str]  # normalized alias -> canonical_id


def _decide(rule: MatchRule, ids: Sequence[str], score: float = 1.0) -> MatchResult | None:
    unique = sorted(set(ids))
    if len(unique) == 1:
        return MatchResult(Outcome.MATCHED, unique[0], rule, score)
    if len(unique) > 1:
        return MatchResult(Outcome.AMBIGUOUS, candidates=tuple(Candidate(c, score, rule) for c in unique))
    return None


def match_code(code: str, name: str | None, context: MatchContext, rules: MatchRules) -> MatchResult:
    """Run the rules in order for one code."""
    if rules.exact_code:
        hits = [code] if code in context.golden_names else []
        hits += [context.mapped_codes[code]] if code in context.mapped_codes else []
        decided = _decide(MatchRule.EXACT_CODE, hits)
        if decided:
            return decided
    key = normalize_code(code, rules.strip_leading_zeros)
    if rules.normalized_code and key:
        hits = [c for c in context.golden_names if normalize_code(c, rules.strip_leading_zeros) == key]
        hits += [
            cid
            for src, cid in context.mapped_codes.items()
            if normalize_code(src, rules.strip_leading_zeros) == key
        ]
        decided = _decide(MatchRule.NORMALIZED_CODE, hits)
        if decided:
            return decided
    if rules.aliases:
        alias_keys = [key, normalize_code(name, rules.strip_leading_zeros)] if name else [key]
        decided = _decide(MatchRule.ALIAS, [context.aliases[k] for k in alias_keys if k in context.aliases])
        if decided:
            return decided
    if rules.fuzzy_name and name:
        scored = sorted(
            (
                Candidate(cid, round(name_similarity(name, gname), 4), MatchRule.FUZZY_NAME)
                for cid, gname in context.golden_names.items()
                if gname
            ),
            key=lambda c: (-c.score, c.canonical_id),
        )
        above = [c for c in scored if c.score >= rules.fuzzy_threshold]
        if len(above) == 1 or (len(above) > 1 and above[0].score - above[1].score >= rules.fuzzy_margin):
            best = above[0]
            return MatchResult(Outcome.MATCHED, best.canonical_id, MatchRule.FUZZY_NAME, best.score)
        if len(above) > 1:
            close = tuple(c for c in above if above[0].score - c.score < rules.fuzzy_margin)
            return MatchResult(Outcome.AMBIGUOUS, candidates=close)
        return MatchResult(Outcome.NO_MATCH, candidates=tuple(scored[:3]))
    return MatchResult(Outcome.NO_MATCH)
