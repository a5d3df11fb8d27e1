"""Security headers on every page, and Django's deployment checklist passing
with production settings."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

REPO_ROOT = Path(__file__).resolve().parents[2]


def _directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/chats/", "/summaries/", "/search/?q=care", "/no-such-page/", "/admin/login/"])
def test_every_page_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = _directives(response["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no other origin
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_no_page_allows_inline_styles_or_remote_scripts(client):
    for path in [reverse("chats:home"), "/admin/login/"]:
        csp = _directives(client.get(path)["Content-Security-Policy"])
        assert csp["style-src"] == ["'self'"] and csp["default-src"] == ["'self'"]


@pytest.mark.django_db
def test_the_policy_comes_from_the_settings(client, settings):
    settings.CSP_DIRECTIVES = {"default-src": "'none'"}  # read per request
    assert client.get(reverse("chats:home"))["Content-Security-Policy"] == "default-src 'none'"


def _deploy_check(**overrides: str) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "hcsmca.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_BEHIND_HTTPS_PROXY": "1",
        "DJANGO_ALLOWED_HOSTS": "archive.example.org",
        "HCSMCA_SITE_URL": "https://archive.example.org",
        **overrides,
    })
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_production_settings_pass_the_deployment_checklist():
    result = _deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deployment_checklist_catches_a_site_not_behind_https():
    # The same run without the HTTPS proxy: no HSTS, no redirect, so Django warns.
    result = _deploy_check(DJANGO_BEHIND_HTTPS_PROXY="0")
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # SECURE_HSTS_SECONDS


def test_the_deployment_checklist_wants_the_sites_address():
    result = _deploy_check(HCSMCA_SITE_URL="")
    assert result.returncode != 0
    assert "hcsmca.W001" in result.stderr + result.stdout


def test_production_cookies_are_secure():
    # The settings module as loaded for the tests has DEBUG off but the
    # development key, so it reads the flag from the production run instead.
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings as s; "
         "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, s.SECURE_SSL_REDIRECT)"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
             "DJANGO_SETTINGS_MODULE": "hcsmca.settings", "DJANGO_DEBUG": "0",
             "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_BEHIND_HTTPS_PROXY": "1"},
    )
    assert result.stdout.split() == ["True", "True", "True", "True"], result.stderr
