"""The embedded servers that `make run` / `make test` start when
DATABASE_URL / REDIS_URL are unset: they start, serve, and stop."""
import shutil
import socket
import uuid

import psycopg2
import pytest
import redis

from tools.embedded import ROOT, port_is_open, start_postgres, start_redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def var_dir():
    # Under the checkout, not /tmp: when run as root, PostgreSQL runs as an
    # unprivileged user who must be able to reach the folder.
    folder = ROOT / "var" / f"test-embedded-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_embedded_postgres_initialises_serves_our_database_and_stops(var_dir):
    port = free_port()
    server = start_postgres(var_dir=var_dir, port=port)
    try:
        assert server.started_here and server.url == f"postgresql://postgres@127.0.0.1:{port}/hcsmca"
        with psycopg2.connect(server.url) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT current_database(), current_setting('server_encoding')")
            assert cursor.fetchone() == ("hcsmca", "UTF8")
        # A second start finds it running and leaves it to its owner.
        again = start_postgres(var_dir=var_dir, port=port)
        assert not again.started_here
        again.stop()
        assert port_is_open(port)
    finally:
        server.stop()
    assert not port_is_open(port)
    assert (var_dir / "postgres" / "PG_VERSION").exists()  # the data stays for the next run


def test_embedded_redis_serves_and_stops(var_dir):
    port = free_port()
    server = start_redis(var_dir=var_dir, port=port)
    try:
        client = redis.Redis.from_url(server.url)
        assert client.ping() and client.set("k", "v") and client.get("k") == b"v"
        client.close()
    finally:
        server.stop()
    assert not port_is_open(port)
