"""The domain's refusals. Services raise them; the page and API adapters turn them into
answers (a message on the page or 422, 403, 404), so no service knows about HTTP."""

import re

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent


class DomainError(ValueError):
    """A refused action, in Chinese for the user; `field` names the field at fault, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(PermissionError):
    """The action is above the caller's role (HTTP 403)."""


class OutOfScope(LookupError):
    """The object lies outside the caller's node (HTTP 404)."""


# Refusals Django raises with an English text meant for developers, in the user's words.
_DJANGO_REFUSALS: dict[type[Exception], str] = {
    RequestDataTooBig: "提交的内容太大。",
    TooManyFieldsSent: "一次提交的项目太多，请分批提交。",
    TooManyFilesSent: "一次上传的文件太多，请分批上传。",
}
_CHINESE = re.compile(r"[\u4e00-\u9fff]")
_LONGEST_MESSAGE = 300


def user_message(exception: BaseException | None) -> str | None:
    """What of a refusal may be shown to the user, or None. The project raises its
    refusals (`Http404("没有照片")`, `PermissionDenied(...)`, `OutOfScope(...)`) in Chinese,
    for the user; Django and libraries raise theirs in English, for developers ("No Plan
    matches the given query.", the URL patterns tried), which would tell a clerk nothing
    and a stranger too much. So only a single text with Chinese in it is shown."""
    if exception is None:
        return None
    for kind, message in _DJANGO_REFUSALS.items():
        if isinstance(exception, kind):
            return message
    if len(exception.args) != 1 or not isinstance(exception.args[0], str):
        return None
    message = exception.args[0].strip()
    if not _CHINESE.search(message) or len(message) > _LONGEST_MESSAGE:
        return None
    return message
