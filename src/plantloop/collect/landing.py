"""Landing: the one path every source takes from a parsed batch to the ODS (or the quarantine).

``Landing.land`` (a :class:`CandidateBatch` built row by row) and ``Landing.land_arrow`` (an Arrow table
of :data:`~plantloop.dataplatform.ingest.schema.LANDING_SCHEMA`, built column by column) pick the
contracts of the source kind, compile the validation policy to row checks and hand the batch to the
:class:`~plantloop.dataplatform.ingest.OdsStore`, which lands rows, quarantine, ledger counts and the
source's checkpoint in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from plantloop.collect.batch import CandidateBatch
from plantloop.collect.contracts import CONTRACTS, Contract, SourceKind, contract_for, table_name
from plantloop.collect.errors import UnknownEntity
from plantloop.collect.validation import ValidationPolicy, fields_expr
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
    def for_plant(
        cls,
        store: OdsStore,
        plant: PlantDefinition,
        *,
        policies: dict[SourceKind, ValidationPolicy] | None = None,
    ) -> Landing:
        return cls(store, known_equipment=plant.equipment_paths.values(), policies=policies)

    def policy(self, kind: SourceKind) -> ValidationPolicy:
        """The policy of ``kind``: files carry no equipment, and their parser converts every cell by the
        entity's contract, so their payload fields need no second check; the SQL parsers (REST, files)
        write the payload from JSON they parsed, so it needs no second JSON check either."""
        files = kind is SourceKind.FILES
        return self.policies.get(kind) or ValidationPolicy(
            check_equipment=not files,
            check_fields=not files,
            check_json=kind not in (SourceKind.REST, SourceKind.FILES),
        )

    def contracts(self, kind: SourceKind, entities: Iterable[str | None] = ()) -> list[Contract]:
        """The contracts a batch is checked against; legacy tables get one open contract per table."""
        if kind is not SourceKind.LEGACY:
            return list(CONTRACTS[kind].values())
        out = []
        for name in sorted({e for e in entities if e}):
            try:
                out.append(contract_for(kind, name))
            except UnknownEntity:
                continue  # its rows fail the unknown-entity check and are quarantined
        return out

    def land(
        self,
        batch: CandidateBatch,
        *,
        source: str,
        kind: SourceKind,
        checkpoint: str | None = None,
        replay: bool = False,
        want_rows: bool | Literal["rejected"] = False,
    ) -> LandResult:
        return self.land_arrow(
            batch.to_arrow(),
            source=source,
            kind=kind,
            parser=batch.parser,
            checkpoint=checkpoint,
            replay=replay,
            want_rows=want_rows,
        )

    def land_arrow(
        self,
        batch: pa.Table,
        *,
        source: str,
        kind: SourceKind,
        parser: str,
        checkpoint: str | None = None,
        replay: bool = False,
        want_rows: bool | Literal["rejected"] = False,
    ) -> LandResult:
        entities: list[str | None] = []
        if kind is SourceKind.LEGACY:
            entities = pc.unique(batch.column("entity")).to_pylist()
        contracts = self.contracts(kind, entities)
        key = (kind, tuple(c.entity for c in contracts))
        checks = self._checks.get(key)
        if checks is None:
            checks = self._checks[key] = self.policy(kind).checks(contracts)
        return self.store.land(
            batch,
            source=source,
            kind=kind.value,
            parser=parser,
            tables={c.entity: table_name(kind, c.entity) for c in contracts},
            checks=checks,
            derived=fields_expr(contracts) if self.policy(kind).check_fields else None,
            exact_dedupe=[table_name(kind, c.entity) for c in contracts if not c.id_includes_time],
            checkpoint=checkpoint,
            replay=replay,
            want_rows=want_rows,
        )
