"""Landing: the one path every source takes from a parsed batch to the ODS (or the quarantine).

``Landing.land`` picks the contracts of the source kind, compiles the validation policy to row checks and
hands the batch to the :class:`~plantloop.dataplatform.ingest.OdsStore`, which lands rows, quarantine,
ledger counts and the source's checkpoint in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.contracts import CONTRACTS, Contract, SourceKind, contract_for, table_name
from plantloop.collect.validation import ValidationPolicy
from plantloop.dataplatform.ingest.store import LandResult, OdsStore, RowCheck
from plantloop.mes.masterdata.schema import PlantDefinition


class Landing:
    """Validates and lands candidate batches; knows the plant's equipment for the equipment check."""

    def __init__(
        self,
        store: OdsStore,
        *,
        known_equipment: Iterable[str] | None = None,
        policies: dict[SourceKind, ValidationPolicy] | None = None,
    ) -> None:
        self.store = store
        self.policies = policies or {}
        self._checks: dict[tuple[SourceKind, tuple[str, ...]], list[RowCheck]] = {}
        if known_equipment is not None:
            store.set_known_equipment(known_equipment)

    @classmethod
    def for_plant(cls, store: OdsStore, plant: PlantDefinition, **kw: object) -> Landing:
        return cls(store, known_equipment=plant.equipment_paths.values(), **kw)  # type: ignore[arg-type]

    def policy(self, kind: SourceKind) -> ValidationPolicy:
        return self.policies.get(kind) or ValidationPolicy(check_equipment=kind is not SourceKind.FILES)

    def contracts(self, kind: SourceKind, batch: CandidateBatch) -> list[Contract]:
        if kind is SourceKind.LEGACY:
            names = {e for e in batch.entity if e}
            out = []
            for name in sorted(names):
                try:
                    out.append(contract_for(kind, name))
                except Exception:
                    continue
            return out
        return list(CONTRACTS[kind].values())

    def land(
        self,
        batch: CandidateBatch,
        *,
        source: str,
        kind: SourceKind,
        checkpoint: str | None = None,
        replay: bool = False,
        want_rows: bool = False,
    ) -> LandResult:
        contracts = self.contracts(kind, batch)
        key = (kind, tuple(c.entity for c in contracts))
        checks = self._checks.get(key)
        if checks is None:
            checks = self._checks[key] = self.policy(kind).checks(contracts)
        return self.store.land(
            batch.to_arrow(),
            source=source,
            kind=kind.value,
            parser=batch.parser,
            tables={c.entity: table_name(kind, c.entity) for c in contracts},
            checks=checks,
            checkpoint=checkpoint,
            replay=replay,
            want_rows=want_rows,
        )
