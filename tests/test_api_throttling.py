"""The API's rate limits (issue 25): per token (or signed-in user) and per address, read
from the settings; the 429 in the JSON error shape, in Chinese, with Retry-After. The
rest of the suite runs unthrottled (conftest), as `make bench` does with the defaults."""

import pytest
from django.core.cache import cache

from shequ.accounts.tokens import token_create
from shequ.core.actors import Actor
from shequ.environment import SettingError, env_rate

from .test_api_bodies import CHINESE

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited(settings):
    cache.clear()
    settings.SHEQU_API_TOKEN_RATE = "3/min"
    settings.SHEQU_API_ADDRESS_RATE = "5/min"
    yield settings
    cache.clear()


def bearer(user) -> dict:
    _, raw = token_create(user=user, name="限速", actor=Actor.command_line())
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def assert_throttled(response):
    assert response.status_code == 429, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "field"} and body["field"] is None
    assert CHINESE.search(body["message"]) and "频繁" in body["message"]
    assert int(response["Retry-After"]) >= 1


def test_a_token_gets_its_rate_and_then_429_in_chinese(client, limited, district_viewer):
    token = bearer(district_viewer)
    for _ in range(3):
        assert client.get("/api/v1/periods", **token).status_code == 200
    assert_throttled(client.get("/api/v1/periods", **token))
    # another token of the same user from the same address has its own count
    assert client.get("/api/v1/periods", **bearer(district_viewer)).status_code == 200


def test_a_session_is_limited_per_user(client, limited, district_viewer):
    client.force_login(district_viewer)
    for _ in range(3):
        assert client.get("/api/v1/regions").status_code == 200
    assert_throttled(client.get("/api/v1/regions"))


def test_one_address_is_limited_across_tokens_and_failed_tokens(
    client, limited, district_viewer, tiansheng_editor
):
    """Five requests a minute from 10.0.0.7, whoever calls: guessing tokens counts too."""
    address = {"REMOTE_ADDR": "10.0.0.7"}
    assert client.get("/api/v1/periods", **address, **bearer(district_viewer)).status_code == 200
    assert client.get("/api/v1/periods", **address, **bearer(tiansheng_editor)).status_code == 200
    for _ in range(3):
        guessed = {"HTTP_AUTHORIZATION": "Bearer sq_guessed"}
        assert client.get("/api/v1/periods", **address, **guessed).status_code == 401
    assert_throttled(client.get("/api/v1/periods", **address, HTTP_AUTHORIZATION="Bearer x"))
    assert_throttled(client.get("/api/v1/periods", **address, **bearer(district_viewer)))
    elsewhere = {"REMOTE_ADDR": "10.0.0.8"}
    assert client.get("/api/v1/periods", **elsewhere, **bearer(district_viewer)).status_code == 200


def test_by_default_the_suite_is_not_throttled(client, district_viewer):
    token = bearer(district_viewer)
    assert all(client.get("/api/v1/periods", **token).status_code == 200 for _ in range(30))


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("", "600/min"),
        ("120/min", "120/min"),
        ("10/s", "10/s"),
        (" 5000/h ", "5000/h"),
        ("1000/day", "1000/day"),
        ("off", None),
        ("OFF", None),
    ],
)
def test_a_rate_is_read_as_requests_per_period(monkeypatch, text, rate):
    monkeypatch.setenv("SHEQU_API_TOKEN_RATE", text)
    assert env_rate("SHEQU_API_TOKEN_RATE", "600/min") == rate


@pytest.mark.parametrize("text", ["600", "600/week", "many/min", "0/min", "-1/s", "600/分钟"])
def test_a_rate_it_cannot_read_is_refused_naming_the_variable(monkeypatch, text):
    monkeypatch.setenv("SHEQU_API_ADDRESS_RATE", text)
    with pytest.raises(SettingError) as refused:
        env_rate("SHEQU_API_ADDRESS_RATE", "1200/min")
    assert "SHEQU_API_ADDRESS_RATE" in str(refused.value) and "/min" in str(refused.value)
