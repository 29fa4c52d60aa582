"""A private mosquitto broker on loopback for the demo: found on the PATH (Debian package ``mosquitto``),
started with a temporary configuration (no persistence, anonymous on 127.0.0.1 only), stopped on exit."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from plantloop.kernel.errors import PlantloopError

CANDIDATES = ("mosquitto", "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")


class BrokerUnavailable(PlantloopError):
    """mosquitto is not installed or did not start; the demo goes on without MQTT."""

    code = "broker_unavailable"


def find_mosquitto() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name) or (name if Path(name).is_file() else None)
        if path:
            return path
    return None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


class LocalBroker:
    """mosquitto listening on ``127.0.0.1:port`` (the given port if free, else a free one)."""

    def __init__(self, port: int | None = None, *, binary: str | None = None) -> None:
        self.binary = binary or find_mosquitto()
        self.host = "127.0.0.1"
        self.port = port if port is not None and not port_open(self.host, port) else free_port()
        self._dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 10.0) -> None:
        if self.binary is None:
            raise BrokerUnavailable("mosquitto not found: install the Debian package 'mosquitto'")
        self._dir = Path(tempfile.mkdtemp(prefix="plantloop-demo-mqtt-"))
        conf = self._dir / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} {self.host}\nallow_anonymous true\npersistence false\n"
            "max_queued_messages 1000000\nmax_inflight_messages 1000\nlog_dest none\n"
        )
        self._proc = subprocess.Popen(
            [self.binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout_s
        while not port_open(self.host, self.port):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise BrokerUnavailable(f"mosquitto did not start on {self.host}:{self.port}")
            time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        self._proc = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
