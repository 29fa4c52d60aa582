"""Health (no authentication): is the process up and the MES store reachable."""

from __future__ import annotations

from fastapi import APIRouter

from plantloop.api.deps import ContainerDep
from plantloop.api.schemas.events import HealthOut

router = APIRouter(tags=["health"])


@router.get("/health")
def health(container: ContainerDep) -> HealthOut:
    """Liveness and store reachability (no authentication)."""
    return HealthOut(
        status="ok", plant=container.plant.site.name, last_event_seq=container.outbox_reader.last_seq()
    )
