"""Shared fixtures: the real 北碚区 tree and a few named personas used by every test.

Personas (healthchecks style): a district admin, a district viewer, a district approver,
a 天生街道 editor and approver, a 澄江镇 editor, a 新星路社区 editor, and an outsider with no node.
"""

import pytest
from django.contrib.auth.hashers import make_password
from hypothesis import settings as hypothesis_settings

from shequ.accounts.models import Role, User
from shequ.core.actors import Actor
from shequ.regions.loading import BUILTIN_DIR, regions_load
from shequ.regions.models import Region

from .browser import browser, page  # noqa: F401  (fixtures for the browser tests)

# Tests never time anything (speed is `make bench`'s): Hypothesis's 200 ms deadline per
# example made property tests fail on a busy machine.
hypothesis_settings.register_profile("shequ", deadline=None)
hypothesis_settings.load_profile("shequ")

TIANSHENG = "500109001"  # 天生街道
CHENGJIANG = "500109102"  # 澄江镇
XINXINGLU = "500109001028"  # 新星路社区居民委员会, in 天生街道
YUNHE_SHEQU = "500109102007"  # 运河社区居民委员会, in 澄江镇
YUNHE_CUN = "500109102229"  # 运河村村民委员会, in 澄江镇
PASSWORD = "correct horse 42"


def load_beibei() -> Region:
    if not Region.objects.filter(code="500109").exists():
        regions_load(paths=[BUILTIN_DIR / "beibei_divisions.csv"], actor=Actor.command_line())
    return Region.objects.get(code="500109")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # hashes made outside a test
    ]


@pytest.fixture(autouse=True)
def _no_lockout_by_default(settings):
    """django-axes needs the request, which the test client's login() does not pass; the
    lockout itself is tested with real posts to the login page (test_security.py)."""
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _no_api_rate_limits(settings):
    """The API's rate limits are tested on their own (test_api_throttling.py); the walks
    and schemathesis send hundreds of requests a minute from one address."""
    settings.SHEQU_API_TOKEN_RATE = None
    settings.SHEQU_API_ADDRESS_RATE = None


@pytest.fixture(autouse=True)
def _no_login_pause(monkeypatch):
    """The growing pause after failed logins is tested on its own (test_login_lockout.py)."""
    monkeypatch.setattr("shequ.accounts.lockout.pause", lambda seconds: None)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploads (imports, evidence) of a test go to its own folder, never to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """A read replica, mirrored onto the test database as Django's test runner does for a
    standby; unused unless a test names it (tests/test_db_router.py)."""
    from django.conf import settings

    settings.DATABASES.setdefault(
        "replica1", {**settings.DATABASES["default"], "TEST": {"MIRROR": "default"}}
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_beibei()


@pytest.fixture
def beibei(db) -> Region:
    # Transactional tests (live server) flush the database; load again when that happened.
    return load_beibei()


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def make_user(username: str, code: str | None, role: str) -> User:
    return User.objects.create(
        username=username,
        password=make_password(PASSWORD),
        node=region(code) if code else None,
        role=role,
    )


# Eight personas, in and out of each other's nodes, for the tests that walk every gate.
PERSONAS = [
    ("qu-admin", "500109", Role.ADMIN),
    ("qu-viewer", "500109", Role.VIEWER),
    ("qu-approver", "500109", Role.APPROVER),
    ("tiansheng-editor", TIANSHENG, Role.EDITOR),
    ("tiansheng-approver", TIANSHENG, Role.APPROVER),
    ("chengjiang-editor", CHENGJIANG, Role.EDITOR),
    ("xinxinglu-editor", XINXINGLU, Role.EDITOR),
    ("outsider", None, Role.VIEWER),
]


@pytest.fixture
def people(beibei) -> dict[str, User]:
    return {name: make_user(name, code, role) for name, code, role in PERSONAS}


@pytest.fixture
def district_admin(beibei) -> User:
    return make_user("qu-admin", "500109", Role.ADMIN)


@pytest.fixture
def district_viewer(beibei) -> User:
    return make_user("qu-viewer", "500109", Role.VIEWER)


@pytest.fixture
def district_approver(beibei) -> User:
    return make_user("qu-approver", "500109", Role.APPROVER)


@pytest.fixture
def tiansheng_editor(beibei) -> User:
    return make_user("tiansheng-editor", TIANSHENG, Role.EDITOR)


@pytest.fixture
def tiansheng_approver(beibei) -> User:
    return make_user("tiansheng-approver", TIANSHENG, Role.APPROVER)


@pytest.fixture
def chengjiang_editor(beibei) -> User:
    return make_user("chengjiang-editor", CHENGJIANG, Role.EDITOR)


@pytest.fixture
def xinxinglu_editor(beibei) -> User:
    return make_user("xinxinglu-editor", XINXINGLU, Role.EDITOR)


@pytest.fixture
def outsider(beibei) -> User:
    return make_user("outsider", None, Role.VIEWER)


@pytest.fixture
def login(client):
    def _login(user: User):
        client.force_login(user)
        return client

    return _login
