"""Errors of the governance layer (field dictionary, crosswalk, cleaning, data quality).

All of them are terminal (a retry does not help: the configuration or the data must change)::

    PlantloopError
     └── GovernanceError
          ├── GovernanceConfigError   (InvalidInput)  a config file or document does not validate:
          │                                            names the file, the path inside it and the reason
          ├── MissingSourceFieldError (InvalidInput)  the dictionary names a source field the table lacks
          ├── CodeMappingError        (InvalidInput)  a value has no mapping and the field says ``fail``
          ├── UnknownTableError       (NotFound)      a table to govern does not exist
          ├── StewardItemNotFound     (NotFound)      no steward-queue item with that id
          ├── StewardItemClosed       (Conflict)      the item was already resolved or rejected
          └── UnknownCanonicalId      (NotFound)      a steward maps to a canonical id that does not exist
"""

from __future__ import annotations

from pathlib import Path

from plantloop.kernel.errors import Conflict, InvalidInput, NotFound, PlantloopError


class GovernanceError(PlantloopError):
    """Base of the governance errors."""

    code = "governance_error"


class GovernanceConfigError(GovernanceError, InvalidInput):
    """A governance config does not validate. ``problems`` lists (path, reason) pairs."""

    code = "invalid_governance_config"

    def __init__(self, file: Path | str, problems: list[tuple[str, str]]) -> None:
        lines = "\n".join(f"  {file}: {path}: {reason}" for path, reason in problems)
        super().__init__(f"invalid governance config {file}:\n{lines}", file=str(file), problems=problems)
        self.file = str(file)
        self.problems = problems


class MissingSourceFieldError(GovernanceError, InvalidInput):
    """Fields the dictionary names as required are not columns of the source table."""

    code = "missing_source_field"

    def __init__(self, source_table: str, fields: list[str], available: list[str]) -> None:
        super().__init__(
            f"source table {source_table!r} lacks field(s) {', '.join(fields)} named by the dictionary "
            f"(it has: {', '.join(available)})",
            source_table=source_table,
            fields=fields,
            available=available,
        )
        self.source_table = source_table
        self.fields = fields


class CodeMappingError(GovernanceError, InvalidInput):
    """Source codes without a mapping, for a field configured with ``on_unmapped: fail``."""

    code = "unmapped_code"

    def __init__(self, source_table: str, field: str, values: list[str]) -> None:
        super().__init__(
            f"{source_table}.{field}: no code mapping for {', '.join(repr(v) for v in values)}",
            source_table=source_table,
            field=field,
            values=values,
        )


class UnknownTableError(GovernanceError, NotFound):
    code = "unknown_table"

    def __init__(self, table: str) -> None:
        super().__init__(f"table {table!r} does not exist", table=table)
        self.table = table


class StewardItemNotFound(GovernanceError, NotFound):
    code = "steward_item_not_found"

    def __init__(self, item_id: str) -> None:
        super().__init__(f"no steward-queue item {item_id!r}", item_id=item_id)
        self.item_id = item_id


class StewardItemClosed(GovernanceError, Conflict):
    code = "steward_item_closed"

    def __init__(self, item_id: str, status: str) -> None:
        super().__init__(
            f"steward-queue item {item_id!r} is already {status}", item_id=item_id, status=status
        )
        self.item_id = item_id


class UnknownCanonicalId(GovernanceError, NotFound):
    code = "unknown_canonical_id"

    def __init__(self, entity: str, canonical_id: str) -> None:
        super().__init__(
            f"no {entity} with canonical id {canonical_id!r}", entity=entity, canonical_id=canonical_id
        )
