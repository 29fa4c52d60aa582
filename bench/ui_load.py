"""Benchmark: N concurrent big-screen clients receiving live updates, and a 1M-row xlsx export.

**Big screen.** The app (API + web UI, real SQLite MES, the live hub) runs in its own process. N clients in
this process speak the browser's protocol: each loads ``/screen`` with a session cookie (NiceGUI builds a
page per client) and connects its socket.io websocket, then follows the screen's ``#<seq>`` label in the
updates it is pushed. An injector sends MES commands through the HTTP API (machine stop / restart) about
once a second and notes when each was sent and the outbox sequence number it produced. Latency = when a
client first shows that sequence number − when the command was sent (both clocks are this process's).
N grows until the 99th percentile passes ``--limit-s`` (2 s) or a client misses an update; the largest N
that passed is ``max_clients``. Baseline in the same run: the same measurement with one client.

**Export.** ``bench/export.py``'s xlsx export of ``--export-rows`` rows (streamed, own process, peak
resident memory above the loaded table), beside its csv export and its fetch-everything csv baseline.

    python bench/ui_load.py                       # clients 1..300, 1M-row export
    python bench/ui_load.py --steps 1,10,50 --export-rows 100000 --json
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEQ_MARK = "screen-seq"


# ---- the served app (a subprocess) ----------------------------------------------------------------
def serve(port: int, data_dir: Path) -> None:
    import logging

    import uvicorn

    from plantloop.api.main import create_app
    from plantloop.bootstrap import build_container
    from plantloop.kernel.settings import Settings
    from plantloop.ui import mount

    logging.basicConfig(level=logging.WARNING)
    container = build_container(Settings(demo=True, data_dir=data_dir, port=port))
    app = create_app(container)
    ctx = mount(app, container)
    token = ctx.auth.sessions.create("manager")
    print(json.dumps({"ready": True, "session": token}), flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


# ---- one browser-like client --------------------------------------------------------------------
class ScreenClient:
    """Loads /screen and follows the ``#<seq>`` label through the pushed updates."""

    def __init__(self, base: str, session: str) -> None:
        self.base = base
        self.session = session
        self.seen: list[tuple[float, int]] = []
        self.sio: Any = None
        self.label_id: str | None = None

    async def open(self, http: Any) -> None:
        import socketio

        html = (await http.get(f"{self.base}/screen", cookies={"plantloop_session": self.session})).text
        # The page renders the socket query as a Python dict and the elements as JSON in a raw template.
        query = ast.literal_eval(re.search(r"query: (\{.*?\}),\n", html).group(1))  # type: ignore[union-attr]
        raw = re.search(r"parseElements\(String\.raw`(.*?)`\)", html, re.S).group(1)  # type: ignore[union-attr]
        elements = json.loads(raw)
        self.label_id = next(
            k for k, e in elements.items() if (e.get("props") or {}).get("data-test") == SEQ_MARK
        )
        query |= {"tab_id": str(uuid.uuid4()), "document_id": str(uuid.uuid4())}
        self.sio = socketio.AsyncClient(reconnection=False)

        @self.sio.on("update")
        async def on_update(data: dict[str, Any]) -> None:
            element = data.get(self.label_id) if isinstance(data, dict) else None
            text = (element or {}).get("text") or ""
            if text.startswith("#"):
                self.seen.append((time.monotonic(), int(text[1:])))

        params = "&".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in query.items())
        await self.sio.connect(
            f"{self.base}?{params}",
            socketio_path="/_nicegui_ws/socket.io",
            transports=["websocket"],
            wait_timeout=20,
        )

    def first_seen(self, seq: int) -> float | None:
        for at, value in self.seen:
            if value >= seq:
                return at
        return None

    async def close(self) -> None:
        if self.sio is not None and self.sio.connected:
            await self.sio.disconnect()


async def run_step(base: str, session: str, n: int, events: int, limit_s: float) -> dict[str, Any]:
    import httpx

    async with httpx.AsyncClient(timeout=60) as http:
        clients = [ScreenClient(base, session) for _ in range(n)]
        failed_to_open = 0
        for start in range(0, n, 10):  # open in small waves, as a wall of screens would
            opened = await asyncio.gather(
                *(c.open(http) for c in clients[start : start + 10]), return_exceptions=True
            )
            failed_to_open += sum(1 for o in opened if isinstance(o, BaseException))
        await asyncio.sleep(1.5)
        auth = ("admin", "demo")
        sent: list[tuple[float, int]] = []
        last = (await http.get(f"{base}/api/v1/events?limit=1", auth=auth)).json()
        top = await _top_seq(http, base, auth)
        for i in range(events):
            action = "start" if i % 2 == 0 else "end"
            body = {"reason_code": "BRK"} if action == "start" else {}
            t0 = time.monotonic()
            r = await http.post(f"{base}/api/v1/equipment/AS-31/downtime/{action}", json=body, auth=auth)
            r.raise_for_status()
            top = await _top_seq(http, base, auth, after=top)
            sent.append((t0, top))
            await asyncio.sleep(1.0)
        await asyncio.sleep(limit_s + 1.0)
        latencies, missed = [], 0
        for client in clients:
            for t0, seq in sent:
                seen = client.first_seen(seq)
                if seen is None:
                    missed += 1
                else:
                    latencies.append(seen - t0)
        await asyncio.gather(*(c.close() for c in clients))
        del last
    latencies.sort()
    pct = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("inf")  # noqa: E731
    return {
        "clients": n,
        "updates": len(latencies),
        "missed": missed,
        "failed_to_open": failed_to_open,
        "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "p95_s": round(pct(0.95), 3),
        "p99_s": round(pct(0.99), 3),
        "max_s": round(latencies[-1], 3) if latencies else None,
        "ok": missed == 0 and failed_to_open == 0 and pct(0.99) <= limit_s,
    }


async def _top_seq(http: Any, base: str, auth: tuple[str, str], after: int = 0) -> int:
    top = after
    while True:
        page = (await http.get(f"{base}/api/v1/events?after_seq={top}&limit=1000", auth=auth)).json()
        if not page["items"]:
            return top
        top = page["items"][-1]["seq"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--steps", default="1,10,25,50,75,100,150,200,300")
    parser.add_argument("--events", type=int, default=8, help="MES events per step")
    parser.add_argument("--limit-s", type=float, default=2.0)
    parser.add_argument("--export-rows", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), Path(args.serve[1]))
        return
    port, data_dir = _free_port(), Path(tempfile.mkdtemp(prefix="ui-load-"))
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"}
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), str(data_dir)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        session = json.loads(server.stdout.readline())["session"]
        base = f"http://127.0.0.1:{port}"
        _wait_http(base)
        steps: list[dict[str, Any]] = []
        for n in [int(s) for s in args.steps.split(",")]:
            step = asyncio.run(run_step(base, session, n, args.events, args.limit_s))
            steps.append(step)
            print(
                f"clients {n:4d}: p50 {step['p50_s']} s  p95 {step['p95_s']} s  p99 {step['p99_s']} s  "
                f"max {step['max_s']} s  missed {step['missed']}  not opened {step['failed_to_open']}  "
                f"{'ok' if step['ok'] else 'OVER'}",
                flush=True,
            )
            if not step["ok"]:
                break
    finally:
        server.terminate()
        server.wait(20)
        shutil.rmtree(data_dir, ignore_errors=True)
    passed = [s["clients"] for s in steps if s["ok"]]
    baseline = steps[0]
    print(
        f"max clients with p99 <= {args.limit_s} s: {max(passed) if passed else 0} "
        f"(baseline, 1 client: p50 {baseline['p50_s']} s, p99 {baseline['p99_s']} s)"
    )
    sys.path.insert(0, str(ROOT / "bench"))
    import export

    xlsx = export.measure("xlsx", args.export_rows)
    csv = export.measure("csv", args.export_rows)
    base_csv = export.measure("baseline_csv", args.export_rows)
    for name, r in (("xlsx", xlsx), ("csv", csv), ("baseline_csv", base_csv)):
        print(
            f"export {name:13s} {r['rows']:>9,d} rows  {r['seconds']:8.2f} s  {r['rows_per_s']:>8,d} rows/s  "
            f"peak +{r['peak_mb']:.1f} MB"
        )
    if args.json:
        print(
            json.dumps(
                {
                    "max_clients": max(passed) if passed else 0,
                    "export_rows": xlsx["rows"],
                    "export_s": xlsx["seconds"],
                    "export_peak_mb": xlsx["peak_mb"],
                    "limit_s": args.limit_s,
                    "steps": steps,
                    "baseline_one_client_p99_s": baseline["p99_s"],
                    "export_csv_s": csv["seconds"],
                    "baseline_fetchall_csv_s": base_csv["seconds"],
                    "baseline_fetchall_csv_peak_mb": base_csv["peak_mb"],
                }
            )
        )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(base: str) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError("the app did not start")


if __name__ == "__main__":
    main()
