"""The private test servers really start and answer: PostgreSQL, mosquitto (with restart) and NATS."""

from __future__ import annotations

import socket

import sqlalchemy as sa

from tests.servers import MosquittoBroker, NatsServer


def test_postgres_database_per_test_accepts_ddl_and_queries(postgres_db: str) -> None:
    engine = sa.create_engine(postgres_db)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x int)"))
        conn.execute(sa.text("INSERT INTO t VALUES (41), (1)"))
        assert conn.execute(sa.text("SELECT sum(x) FROM t")).scalar_one() == 42
    engine.dispose()


def test_mosquitto_keeps_listening_after_a_restart(mqtt_broker: MosquittoBroker) -> None:
    mqtt_broker.restart()
    with socket.create_connection((mqtt_broker.host, mqtt_broker.port), timeout=2):
        pass


def test_nats_server_speaks_the_nats_protocol(nats_server: NatsServer) -> None:
    with socket.create_connection(("127.0.0.1", nats_server.port), timeout=2) as s:
        assert s.recv(4) == b"INFO"
