"""docker-compose.yml cannot run here (no Docker engine): read it and check
that what it names exists."""
import importlib
import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def command_words(service: str) -> list[str]:
    command = SERVICES[service]["command"]
    return command if isinstance(command, list) else shlex.split(command)


def test_the_stack_has_its_five_services_each_with_a_healthcheck():
    assert set(SERVICES) == {"web", "worker", "beat", "postgres", "redis"}
    for name, service in SERVICES.items():
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in {"CMD", "CMD-SHELL"}, f"{name} has no healthcheck"


def test_web_worker_and_beat_share_one_definition():
    app_services = [SERVICES[name] for name in ("web", "worker", "beat")]
    for key in ("build", "image", "environment", "volumes", "depends_on"):
        values = [service[key] for service in app_services]
        assert values[0] == values[1] == values[2], key
    assert app_services[0]["build"] == "." and (ROOT / "Dockerfile").is_file()
    assert app_services[0]["depends_on"] == {
        "postgres": {"condition": "service_healthy"}, "redis": {"condition": "service_healthy"}}


def test_app_services_point_at_the_stack_databases():
    environment = SERVICES["web"]["environment"]
    assert environment["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in environment["DATABASE_URL"]
    assert environment["REDIS_URL"] == "redis://redis:6379/0"


def test_web_runs_gunicorn_on_our_wsgi_application():
    words = command_words("web")
    script = " ".join(words)
    assert "python manage.py migrate --noinput" in script
    wsgi = re.search(r"gunicorn (\S+):(\S+)", script)
    assert wsgi, script
    module = importlib.import_module(wsgi.group(1))
    assert callable(getattr(module, wsgi.group(2)))


@pytest.mark.parametrize("service,subcommand", [("worker", "worker"), ("beat", "beat")])
def test_worker_and_beat_run_celery_on_our_app(service, subcommand):
    words = command_words(service)
    assert words[:4] == ["celery", "-A", "hcsmca", subcommand]
    from hcsmca.celery import app

    assert "chats.import_transcript" in app.tasks


def test_dockerfile_copies_what_exists_and_installs_from_the_lock():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"
    assert "pip install -c constraints.txt ." in dockerfile
    assert "collectstatic --noinput" in dockerfile
