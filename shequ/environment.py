"""Reading the settings from the environment: one reader per kind of value.

Every reader treats an empty value as unset (an env file's `NAME=`) and refuses a value it
cannot read with `SettingError`, naming the variable and what it accepts, so that a typo
stops the start instead of quietly switching a setting off (issue 28: `true` used to mean
off for SECURE_SSL_REDIRECT). settings.py calls nothing else to read the environment.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE = ("true", "yes", "1", "on")
FALSE = ("false", "no", "0", "off")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingError(ImproperlyConfigured):
    """A variable the app cannot start with; the message names it, in Chinese."""


def env_str(name: str, default: str = "") -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def env_secret(name: str, *, ascii: bool = False) -> str:
    """A password, exactly as given: a space at either end is part of it. The value is
    never repeated in a message."""
    value = os.environ.get(name, "")
    if ascii and not value.isascii():
        raise SettingError(
            f"环境变量 {name} 只能用英文字母、数字和符号（邮件服务器的登录不支持汉字）"
        )
    return value


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name).lower()
    if not value:
        return default
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise SettingError(
        f"环境变量 {name} 的值“{value}”无法识别：开为 {'、'.join(TRUE)}，"
        f"关为 {'、'.join(FALSE)}（不区分大小写）"
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = env_str(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise SettingError(f"环境变量 {name} 的值“{value}”无效：应为不小于 {minimum} 的整数")
    return number


RATE_UNITS = ("s", "sec", "m", "min", "h", "hour", "d", "day")
_RATE = re.compile(r"(\d+)/(" + "|".join(RATE_UNITS) + ")")


def env_rate(name: str, default: str) -> str | None:
    """A request rate as django-ninja's throttles read it, `N/unit` (`600/min`, `10/s`,
    `5000/h`, `1000/day`), N at least 1; `off` for no limit (None)."""
    value = env_str(name, default)
    if value.lower() in FALSE:
        return None
    match = _RATE.fullmatch(value)
    if match is None or int(match.group(1)) < 1:
        raise SettingError(
            f"环境变量 {name} 的值“{value}”无效：应为“次数/时段”，如 600/min、10/s、5000/h、"
            "1000/day（时段为 s、min、h、day 之一），或 off 表示不限"
        )
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default).upper()
    if value not in choices:
        raise SettingError(f"环境变量 {name} 的值“{value}”无效：应为 {'、'.join(choices)} 之一")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# ------------------------------------------------------------------------ the site's address


def site_url(value: str, *, debug: bool) -> str:
    """SHEQU_SITE_URL checked and without a trailing slash: the scheme, host and port the
    users' browsers open, which links in e-mails start with. Required when DEBUG is off."""
    name = "SHEQU_SITE_URL"
    if not value:
        raise SettingError(
            f"生产环境（DEBUG 关）必须设置 {name}：用户访问本系统的地址，"
            "如 https://shequ.beibei.gov.cn 或 https://shequ.beibei.gov.cn:8443"
        )
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError as error:
        raise SettingError(f"{name} 的端口无效：{value}") from error
    schemes = ("http", "https") if debug else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise SettingError(
            f"{name} 应为 {' 或 '.join(s + '://' for s in schemes)}主机名[:端口]，现为“{value}”"
        )
    if parts.username or parts.password or parts.path not in ("", "/"):
        raise SettingError(f"{name} 只写协议、主机名和端口，不带路径或账号：“{value}”")
    if parts.query or parts.fragment:
        raise SettingError(f"{name} 只写协议、主机名和端口，不带 ? 或 #：“{value}”")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def site_host(url: str) -> str:
    """The host name of a checked site URL, as ALLOWED_HOSTS writes it (no port)."""
    return urlsplit(url).hostname or ""


# ------------------------------------------------------------------------------ databases


def database(name: str, url: str, *, password: str = "", conn_max_age: int = 0) -> dict:
    """A database from a dj-database-url URL. A password with `#`, `/`, `?`, `%` or a
    space must be percent-encoded in the URL (`%23`, `%2F`, …); `password`, when given,
    replaces the URL's and is taken as it is (DATABASE_PASSWORD). The URL is never
    repeated in a message: it may hold the password."""
    if "#" in url:
        raise SettingError(
            f"{name} 中有“#”：口令中的 # 须写成 %23（/ 写成 %2F，@ 写成 %40，: 写成 %3A），"
            "或把口令放在 DATABASE_PASSWORD 中"
        )
    try:
        settings = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    except dj_database_url.UnknownSchemeError as error:
        raise SettingError(
            f"{name} 的数据库类型无法识别（应以 postgres:// 或 sqlite:/// 开头）"
        ) from error
    except ValueError as error:
        raise SettingError(
            f"{name} 无法解析（格式如 postgres://用户:口令@主机:5432/库名；口令中的特殊字符须"
            "百分号编码，或放在 DATABASE_PASSWORD 中）"
        ) from error
    if password:
        settings["PASSWORD"] = password
    return settings
