"""One way to read each kind of setting from the environment (issue 28, item 4): a value
the app cannot read stops the start, naming the variable and what it accepts."""

import pytest

from shequ.environment import (
    SettingError,
    database,
    env_bool,
    env_int,
    site_host,
    site_url,
)

SPELLINGS = {
    **{word: True for word in ("true", "TRUE", "Yes", "1", "on", " On ")},
    **{word: False for word in ("false", "False", "NO", "0", "off", "OFF")},
}


@pytest.mark.parametrize(("text", "meaning"), SPELLINGS.items())
def test_every_boolean_is_read_with_the_same_words(monkeypatch, text, meaning):
    monkeypatch.setenv("SECURE_SSL_REDIRECT", text)
    assert env_bool("SECURE_SSL_REDIRECT", not meaning) is meaning


def test_an_unset_or_empty_boolean_keeps_its_default(monkeypatch):
    monkeypatch.delenv("EMAIL_USE_TLS", raising=False)
    assert env_bool("EMAIL_USE_TLS", True) is True
    monkeypatch.setenv("EMAIL_USE_TLS", "")
    assert env_bool("EMAIL_USE_TLS", False) is False


@pytest.mark.parametrize("text", ["ture", "2", "y", "enabled", "否"])
def test_a_boolean_it_cannot_read_is_refused_naming_the_variable(monkeypatch, text):
    monkeypatch.setenv("SECURE_SSL_REDIRECT", text)
    with pytest.raises(SettingError) as refused:
        env_bool("SECURE_SSL_REDIRECT", True)
    message = str(refused.value)
    assert "SECURE_SSL_REDIRECT" in message
    assert "true、yes、1、on" in message and "false、no、0、off" in message


@pytest.mark.parametrize("text", ["eight", "8.5", "-1"])
def test_a_number_it_cannot_read_is_refused_naming_the_variable(monkeypatch, text):
    monkeypatch.setenv("SHEQU_SESSION_HOURS", text)
    with pytest.raises(SettingError, match="SHEQU_SESSION_HOURS"):
        env_int("SHEQU_SESSION_HOURS", 8, minimum=1)


def test_the_site_url_keeps_scheme_host_and_port_only():
    assert site_url("https://Shequ.Beibei.gov.cn:8443/", debug=False) == (
        "https://shequ.beibei.gov.cn:8443"
    )
    assert site_host("https://shequ.beibei.gov.cn:8443") == "shequ.beibei.gov.cn"
    assert site_url("http://127.0.0.1:8000", debug=True) == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    "value",
    [
        "",  # required in production
        "shequ.beibei.gov.cn",  # no scheme
        "http://shequ.beibei.gov.cn",  # production is HTTPS only
        "https://shequ.beibei.gov.cn/taizhang",  # a path
        "https://shequ.beibei.gov.cn:84x3",  # a port that is not a number
        "https://admin:secret@shequ.beibei.gov.cn",  # an account
        "https://shequ.beibei.gov.cn/?a=1",
    ],
)
def test_production_refuses_a_site_url_that_would_make_wrong_links(value):
    with pytest.raises(SettingError, match="SHEQU_SITE_URL"):
        site_url(value, debug=False)


PASSWORD = "p#ss/w@rd:42"
ENCODED = "p%23ss%2Fw%40rd%3A42"


def test_a_percent_encoded_password_in_database_url_is_decoded():
    settings = database("DATABASE_URL", f"postgres://shequ:{ENCODED}@db.example:5432/shequ")
    assert (settings["USER"], settings["PASSWORD"]) == ("shequ", PASSWORD)
    assert (settings["HOST"], settings["PORT"], settings["NAME"]) == ("db.example", 5432, "shequ")


def test_database_password_replaces_the_urls_and_needs_no_encoding():
    with_one = database("DATABASE_URL", "postgres://shequ:old@db/shequ", password=PASSWORD)
    without = database("DATABASE_URL", "postgres://shequ@db/shequ", password=PASSWORD)
    assert with_one["PASSWORD"] == without["PASSWORD"] == PASSWORD


@pytest.mark.parametrize(
    "url",
    [
        f"postgres://shequ:{PASSWORD}@db.example:5432/shequ",  # not encoded
        "postgres://shequ:a/b@db.example/shequ",
        "mongo://db.example/shequ",
    ],
)
def test_a_database_url_it_cannot_read_is_refused_without_repeating_it(url):
    with pytest.raises(SettingError, match="DATABASE_URL") as refused:
        database("DATABASE_URL", url)
    assert "p#ss" not in str(refused.value) and "a/b" not in str(refused.value)
