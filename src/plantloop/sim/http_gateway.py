"""The simulator's port onto a plantloop MES over its REST API: each command becomes the HTTP request an
operator terminal or an ERP integration would send, each dispatch-list read a ``GET /dispatch/{wc}``.

Errors come back as the API's JSON body and are raised as the kernel error of their status (404 →
NotFound, 409 → Conflict, 422 → InvalidInput, …), so the simulator treats a refusal over HTTP exactly like
a refusal in-process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from plantloop.kernel.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PlantloopError,
    Unauthenticated,
)
from plantloop.mes.domain import commands as c
from plantloop.sim.gateway import DispatchItem

#: command → (path template, fields that go into the path instead of the body, fields the route takes
#: from the authenticated user or not at all)
ROUTES: dict[type[c.Command], tuple[str, tuple[str, ...]]] = {
    c.CreateWorkOrder: ("/work-orders", ()),
    c.ReleaseWorkOrder: ("/work-orders/{work_order_id}/release", ("work_order_id",)),
    c.CancelWorkOrder: ("/work-orders/{work_order_id}/cancel", ("work_order_id",)),
    c.PublishDispatchLists: ("/dispatch", ()),
    c.StartOperation: ("/operations/{operation_id}/start", ("operation_id",)),
    c.PauseOperation: ("/operations/{operation_id}/pause", ("operation_id",)),
    c.ResumeOperation: ("/operations/{operation_id}/resume", ("operation_id",)),
    c.CompleteOperation: ("/operations/{operation_id}/complete", ("operation_id",)),
    c.ConsumeMaterial: ("/operations/{operation_id}/consume", ("operation_id",)),
    c.RecordInspection: ("/operations/{operation_id}/inspections", ("operation_id",)),
    c.StartDowntime: ("/equipment/{equipment_id}/downtime/start", ("equipment_id",)),
    c.EndDowntime: ("/equipment/{equipment_id}/downtime/end", ("equipment_id",)),
    c.ChangeEquipmentState: ("/equipment/{equipment_id}/state", ("equipment_id",)),
    c.ReceiveMaterialLot: ("/lots", ()),
    c.HoldLot: ("/lots/{lot_id}/hold", ("lot_id",)),
    c.ReleaseLot: ("/lots/{lot_id}/release", ("lot_id",)),
    c.CreateMaintenanceOrder: ("/maintenance-orders", ()),
    c.StartMaintenance: ("/maintenance-orders/{maintenance_order_id}/start", ("maintenance_order_id",)),
    c.CompleteMaintenance: ("/maintenance-orders/{maintenance_order_id}/complete", ("maintenance_order_id",)),
}

#: Routes whose body is empty (everything is in the path).
NO_BODY = frozenset({c.ReleaseWorkOrder})

_ERRORS: dict[int, type[PlantloopError]] = {
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: InvalidInput,
}


@dataclass
class HttpStats:
    requests: int = 0
    refused: int = 0


class HttpGateway:
    """``MesGateway`` over HTTP. ``client`` carries the base URL (``…/api/v1``) and the credentials."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.stats = HttpStats()

    def handle(self, command: c.Command) -> Any:
        route = ROUTES.get(type(command))
        if route is None:
            raise InvalidInput(f"no REST route for {type(command).__name__}", command=type(command).__name__)
        template, path_fields = route
        data = command.model_dump(mode="json", exclude_none=True)
        path = template.format(**{f: quote(str(data.pop(f)), safe="/~") for f in path_fields})
        data.pop("issued_by", None)  # the API takes it from the authenticated user
        body = None if type(command) in NO_BODY else data
        response = self._send("POST", path, body)
        ids = response.json().get("ids") if response.content else None
        return ids if isinstance(command, c.CreateWorkOrder) else None

    def dispatch_list(self, work_center_id: str) -> list[DispatchItem]:
        response = self._send("GET", f"/dispatch/{quote(work_center_id, safe='')}", None)
        return [
            DispatchItem(i["operation_id"], i["work_center_id"], i.get("equipment_id"), i["position"])
            for i in response.json()["items"]
        ]

    def _send(self, method: str, path: str, body: dict[str, Any] | None) -> httpx.Response:
        self.stats.requests += 1
        response = self.client.request(method, path, json=body)
        if response.status_code >= 400:
            self.stats.refused += 1
            try:
                payload = response.json()
            except ValueError:
                payload = {"message": response.text[:300]}
            error = _ERRORS.get(response.status_code, PlantloopError)
            raise error(
                f"{method} {path} → {response.status_code}: {payload.get('message', payload)}",
                status=response.status_code,
            )
        return response
