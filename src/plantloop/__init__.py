"""plantloop — an MES and a data platform joined in one closed loop.

Contexts (see docs/architecture.md): ``kernel`` (ids, clock, envelope, settings, errors), ``mes``
(execution state + transactional outbox), ``collect`` (connectors → canonical events), ``dataplatform``
(governance, warehouse, metrics), ``optimize`` (scheduling, quality, maintenance), ``loop`` (decisions →
MES commands), ``reports``, ``api``, ``ui``, ``sim`` (the seeded digital twin). ``bootstrap`` is the one
composition root.
"""

__version__ = "0.1.0"
