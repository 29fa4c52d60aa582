"""Data-entry forms (填报): declarative forms whose entries are checked by the data platform's DQ engine and
take effect as MES commands only after review (a FORM_ENTRY decision), audited by the decision log.

Rooms: ``definitions`` (forms YAML, field coercion), ``targets`` (entry → DQ row and MES commands),
``service`` (validate, submit, list; the four-eyes rule)."""
