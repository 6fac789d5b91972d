"""Production settings can be made safe: with the README's production variables
`check --deploy` is clean; a short or known SECRET_KEY refuses to start with DEBUG off; the
embedded default signs with a key of its own, never one from the source; pages carry a
Content Security Policy that their inline scripts and styles follow."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

ROOT = Path(settings.BASE_DIR)


def readme_production_env() -> dict[str, str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- production-env -->\s*```sh\n(.*?)```", text, re.S)
    assert block, "README.md lost its production-env block"
    values = {}
    for line in block.group(1).splitlines():
        name, _, value = line.partition("=")
        # A placeholder (<a long random string ...>) gets a real value.
        values[name.strip()] = secrets.token_hex(32) if value.startswith("<") else value
    return values


def run_manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DEBUG", "HTTPS", "PUBLIC_BASE_URL", "ALLOWED_HOSTS"}
    }
    # The embedded database: the checks read no table.
    base.update({"DATABASE_URL": "", "REDIS_URL": "", "DVK_VAR_DIR": str(tmp_path)})
    base.update(env)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        capture_output=True,
        text=True,
        env=base,
        cwd=ROOT,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_readmes_production_variables(tmp_path):
    production = readme_production_env()
    assert production["HTTPS"] == "true" and production["DEBUG"] == "false"
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
    assert "WARNINGS" not in result.stderr + result.stdout


def test_without_https_check_deploy_still_names_the_gaps(tmp_path):
    production = readme_production_env() | {"HTTPS": "false"}
    result = run_manage("check", "--deploy", env=production, tmp_path=tmp_path)
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout


@pytest.mark.parametrize(
    "key",
    ["short-key", "django-insecure-" + secrets.token_hex(30)],
)
def test_a_short_or_known_secret_key_refuses_to_start_with_debug_off(tmp_path, key):
    result = run_manage("check", env={"SECRET_KEY": key, "DEBUG": "false"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY is unsafe" in result.stderr
    # A developer's DEBUG run may use it.
    assert (
        run_manage("check", env={"SECRET_KEY": key, "DEBUG": "true"}, tmp_path=tmp_path).returncode
        == 0
    )


def test_https_refuses_to_start_without_a_key_or_an_https_public_url(tmp_path):
    production = readme_production_env()
    without_key = {k: v for k, v in production.items() if k != "SECRET_KEY"}
    result = run_manage("check", env=without_key, tmp_path=tmp_path)
    assert result.returncode != 0 and "HTTPS=true needs SECRET_KEY" in result.stderr
    result = run_manage(
        "check", env=production | {"PUBLIC_BASE_URL": "http://dvk.example.vn"}, tmp_path=tmp_path
    )
    assert result.returncode != 0 and "PUBLIC_BASE_URL" in result.stderr


def test_the_embedded_default_makes_its_own_key_once(tmp_path):
    show = [
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
    ]
    first = run_manage(*show, env={}, tmp_path=tmp_path)
    second = run_manage(*show, env={}, tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert key == second.stdout.strip()
    assert len(key) >= 50 and "insecure" not in key
    assert (tmp_path / "secret_key").read_text() == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    other = run_manage(*show, env={}, tmp_path=tmp_path / "other")
    assert other.stdout.strip() != key


def test_https_turns_on_hsts_redirect_secure_cookies_and_the_proxy_header(tmp_path):
    names = [
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_HSTS_SECONDS",
    ]
    code = f"from django.conf import settings; print([getattr(settings, n) for n in {names!r}])"
    result = run_manage(
        "shell", "--no-imports", "-c", code, env=readme_production_env(), tmp_path=tmp_path
    )
    assert result.stdout.strip() == str(
        [True, True, True, ("HTTP_X_FORWARDED_PROTO", "https"), 31_536_000]
    ), result.stderr


def test_pages_carry_a_csp_whose_nonce_their_inline_styles_use(db):
    response = Client().get("/login/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy
    # django-csp names a nonce in the policy when the page used one.
    found = re.search(r"'nonce-([^']+)'", policy)
    nonce = found.group(1) if found else None
    page = response.content.decode()
    # The layout's styles and scripts are files of this site; any inline one carries the
    # request's nonce.
    assert '<link rel="stylesheet" href="/static/' in page
    inline = re.findall(r"<(?:script|style)\b([^>]*)>", page)
    assert all("src=" in attrs or (nonce and f'nonce="{nonce}"' in attrs) for attrs in inline), (
        inline
    )
    assert "'unsafe-inline'" not in policy


def test_swagger_ui_runs_without_inline_script(db):
    page = Client().get("/api/docs/").content.decode()
    assert "cdn" not in page.lower()
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts and all("src=" in attrs for attrs in scripts), scripts


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
PDF_TEMPLATES = ("documents/pdf", "documents/decision", "documents/certificate", "stats/pdf")


def test_no_template_has_an_inline_script_or_style_without_the_nonce():
    """A CSP with a nonce blocks inline code without it: every page would break silently."""
    offenders = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            if any(part in path.as_posix() for part in PDF_TEMPLATES):
                continue  # rendered by WeasyPrint into PDFs, never served under the CSP
            text = path.read_text()
            for tag in re.findall(r"<(?:script|style)\b[^>]*>", text):
                if "src=" not in tag and "nonce=" not in tag:
                    offenders.append(f"{path.relative_to(ROOT)}: {tag}")
            for attr in re.findall(r"\s(?:style|on[a-z]+)=\"", text):
                offenders.append(f"{path.relative_to(ROOT)}: {attr.strip()}")
    assert not offenders, offenders
