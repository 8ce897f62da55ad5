"""With nothing set, the app runs as a local demo; production values come from the environment."""

import json
import os
import subprocess
import sys

PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, 'db': s.DATABASES['default'],"
    " 'tz': s.TIME_ZONE, 'lang': s.LANGUAGE_CODE, 'district': s.SHEQU_DISTRICT_NAME,"
    " 'key': s.SECRET_KEY, 'replicas': s.REPLICA_DATABASES, 'databases': s.DATABASES,"
    " 'static': s.STORAGES['staticfiles']}, default=str))"
)


def settings_with(env: dict, tmp_path) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    clean.update({"DJANGO_SETTINGS_MODULE": "shequ.settings", "SHEQU_VAR_DIR": str(tmp_path)})
    clean.update(env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=clean, check=True
    )
    return json.loads(result.stdout)


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
    options = settings_with({"DEBUG": "0"}, tmp_path)["static"]["OPTIONS"]
    assert options["file_permissions_mode"] == 0o644
