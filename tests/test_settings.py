"""With nothing set, the app runs as a local demo; production values come from the environment."""

import json
import os
import subprocess
import sys

import pytest
from django.test import Client, override_settings

from shequ.environment import site_url

from .conftest import PASSWORD

PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, 'db': s.DATABASES['default'],"
    " 'tz': s.TIME_ZONE, 'lang': s.LANGUAGE_CODE, 'district': s.SHEQU_DISTRICT_NAME,"
    " 'key': s.SECRET_KEY, 'replicas': s.REPLICA_DATABASES, 'databases': s.DATABASES,"
    " 'static': s.STORAGES['staticfiles'], 'site': s.SHEQU_SITE_URL,"
    " 'origins': s.CSRF_TRUSTED_ORIGINS, 'redirect': getattr(s, 'SECURE_SSL_REDIRECT', None),"
    " 'mail': {k: getattr(s, k) for k in dir(s) if k.startswith('EMAIL_')"
    " or k == 'DEFAULT_FROM_EMAIL'}}, default=str))"
)
# Variables of the machine running the tests that would change what the probe reads.
OURS = {"DATABASE_URL", "DATABASE_PASSWORD", "DEBUG", "ALLOWED_HOSTS", "SHEQU_SITE_URL"}
PRODUCTION = {"DEBUG": "false", "SHEQU_SITE_URL": "https://shequ.example"}


def clean_environment(env: dict, tmp_path) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in OURS and not k.startswith("EMAIL_")}
    clean.update({"DJANGO_SETTINGS_MODULE": "shequ.settings", "SHEQU_VAR_DIR": str(tmp_path)})
    clean.update(env)
    return clean


def settings_with(env: dict, tmp_path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=clean_environment(env, tmp_path),
        check=True,
    )
    return json.loads(result.stdout)


def refusal(env: dict, tmp_path) -> str:
    """What `shequ check` says when the environment stops it; it must not start."""
    result = subprocess.run(
        [sys.executable, "-m", "shequ.cli", "check"],
        capture_output=True,
        text=True,
        env=clean_environment(env, tmp_path),
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    return result.stderr


def test_nothing_set_means_the_local_demo(tmp_path):
    values = settings_with({}, tmp_path)
    assert values["debug"] is True
    assert values["hosts"] == ["127.0.0.1", "localhost"]
    assert values["db"]["ENGINE"] == "django.db.backends.sqlite3"
    assert values["db"]["NAME"] == str(tmp_path / "shequ.sqlite3")
    assert (values["tz"], values["lang"]) == ("Asia/Shanghai", "zh-hans")
    assert values["district"] == "重庆市北碚区"
    assert (tmp_path / "secret_key").read_text() == values["key"]
    assert settings_with({}, tmp_path)["key"] == values["key"]  # generated once


def test_production_sets_everything_from_the_environment(tmp_path):
    values = settings_with(
        {
            "DATABASE_URL": "postgres://u:p@db.example:5432/shequ",
            "SECRET_KEY": "from-env",
            "DEBUG": "false",
            "SHEQU_SITE_URL": "https://shequ.example",
            "ALLOWED_HOSTS": "shequ.example, www.shequ.example",
            "SHEQU_DISTRICT_NAME": "重庆市渝中区",
        },
        tmp_path,
    )
    assert values["debug"] is False
    assert values["hosts"] == ["shequ.example", "www.shequ.example"]
    assert values["db"]["ENGINE"] == "django.db.backends.postgresql"
    assert values["db"]["HOST"] == "db.example"
    assert values["key"] == "from-env"
    assert values["district"] == "重庆市渝中区"


def test_replicas_come_from_the_environment_and_are_mirrored_in_tests(tmp_path):
    values = settings_with(
        {
            "DATABASE_URL": "postgres://shequ@db1/shequ",
            "DATABASE_REPLICA_URL": "postgres://ro@db2/shequ, postgres://ro@db3/shequ",
        },
        tmp_path,
    )
    assert values["replicas"] == ["replica1", "replica2"]
    assert values["databases"]["replica2"]["HOST"] == "db3"
    assert values["databases"]["replica1"]["TEST"]["MIRROR"] == "default"


def test_collected_static_files_are_readable_by_the_web_server(tmp_path):
    options = settings_with(PRODUCTION, tmp_path)["static"]["OPTIONS"]
    assert options["file_permissions_mode"] == 0o644


# ------------------------------------------------------------- issue 28: one way to read


@pytest.mark.parametrize(("text", "meaning"), [("true", True), ("ON", True), ("no", False)])
def test_every_spelling_of_a_boolean_means_the_same(tmp_path, text, meaning):
    values = settings_with({**PRODUCTION, "SECURE_SSL_REDIRECT": text}, tmp_path)
    assert values["redirect"] is meaning


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DEBUG", "ture"), ("SECURE_SSL_REDIRECT", "enabled"), ("EMAIL_USE_TLS", "2")],
)
def test_a_boolean_it_cannot_read_stops_the_start_naming_the_variable(tmp_path, variable, value):
    said = refusal({**PRODUCTION, variable: value}, tmp_path)
    assert variable in said and value in said
    assert "true、yes、1、on" in said


def test_production_without_the_site_url_does_not_start(tmp_path):
    assert "SHEQU_SITE_URL" in refusal({"DEBUG": "0"}, tmp_path)


def test_the_site_url_gives_the_hosts_and_the_trusted_origin_with_its_port(tmp_path):
    values = settings_with(
        {**PRODUCTION, "SHEQU_SITE_URL": "https://shequ.beibei.gov.cn:8443/"}, tmp_path
    )
    assert values["site"] == "https://shequ.beibei.gov.cn:8443"
    assert values["hosts"] == ["shequ.beibei.gov.cn"]
    assert values["origins"] == ["https://shequ.beibei.gov.cn:8443"]


def test_given_hosts_and_origins_are_kept_beside_the_site_url(tmp_path):
    values = settings_with(
        {
            **PRODUCTION,
            "ALLOWED_HOSTS": "shequ.example,10.0.0.11",
            "CSRF_TRUSTED_ORIGINS": "https://old.example",
        },
        tmp_path,
    )
    assert values["hosts"] == ["shequ.example", "10.0.0.11"]
    assert values["origins"] == ["https://old.example", "https://shequ.example"]


def _login_from_port_8443(trusted: list[str]) -> int:
    # A new client each time: the CSRF middleware reads the trusted origins once.
    client = Client(enforce_csrf_checks=True, HTTP_HOST="shequ.beibei.gov.cn")
    client.get("/accounts/login/", secure=True)
    form = {"username": "qu-viewer", "password": PASSWORD}
    form["csrfmiddlewaretoken"] = client.cookies["csrftoken"].value
    with override_settings(CSRF_TRUSTED_ORIGINS=trusted):
        origin = "https://shequ.beibei.gov.cn:8443"
        return client.post("/accounts/login/", form, secure=True, HTTP_ORIGIN=origin).status_code


def test_a_login_posted_from_a_port_other_than_443_is_accepted(settings, district_viewer):
    """Behind nginx the Host header carries no port ($host) while the browser's Origin
    does: the origin of SHEQU_SITE_URL is trusted, so the form is not refused (403)."""
    settings.ALLOWED_HOSTS = ["shequ.beibei.gov.cn"]
    assert _login_from_port_8443([]) == 403  # as before issue 28
    site = site_url("https://shequ.beibei.gov.cn:8443", debug=False)
    assert _login_from_port_8443([site]) == 302


# ------------------------------------------------------------------------ issue 28: mail


def test_without_a_mail_host_mail_goes_to_the_console_as_in_the_demo(tmp_path):
    assert settings_with({}, tmp_path)["mail"]["EMAIL_BACKEND"].endswith("console.EmailBackend")


def test_a_mail_host_means_smtp_with_djangos_names(tmp_path):
    mail = settings_with(
        {
            "EMAIL_HOST": "smtp.beibei.gov.cn",
            "EMAIL_USE_SSL": "yes",
            "EMAIL_HOST_USER": "taizhang@beibei.gov.cn",
            "EMAIL_HOST_PASSWORD": " p#ss/w@rd:1 ",
            "DEFAULT_FROM_EMAIL": "taizhang@beibei.gov.cn",
        },
        tmp_path,
    )["mail"]
    assert mail["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (mail["EMAIL_HOST"], mail["EMAIL_PORT"], mail["EMAIL_USE_SSL"]) == (
        "smtp.beibei.gov.cn",
        465,  # SSL's port unless EMAIL_PORT says otherwise
        True,
    )
    assert mail["EMAIL_HOST_PASSWORD"] == " p#ss/w@rd:1 "  # as given, spaces and all
    assert mail["EMAIL_TIMEOUT"] == 10  # a dead server does not hang `shequ remind`
    assert mail["DEFAULT_FROM_EMAIL"] == "taizhang@beibei.gov.cn"


def test_starttls_takes_port_587_and_an_explicit_port_wins(tmp_path):
    tls = {"EMAIL_HOST": "smtp.example", "EMAIL_USE_TLS": "on"}
    assert settings_with(tls, tmp_path)["mail"]["EMAIL_PORT"] == 587
    assert settings_with({**tls, "EMAIL_PORT": "2525"}, tmp_path)["mail"]["EMAIL_PORT"] == 2525


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"EMAIL_USE_TLS": "true", "EMAIL_USE_SSL": "true"}, "EMAIL_USE_SSL"),
        ({"EMAIL_HOST_PASSWORD": "邮箱口令"}, "EMAIL_HOST_PASSWORD"),
        ({"EMAIL_TIMEOUT": "0"}, "EMAIL_TIMEOUT"),
    ],
)
def test_mail_settings_that_cannot_work_stop_the_start(tmp_path, environment, named):
    said = refusal({"EMAIL_HOST": "smtp.example", **environment}, tmp_path)
    assert named in said
    assert "邮箱口令" not in said
