"""Password validators whose messages Django's Chinese catalogue lacks, and the demo's
password refused outside the demo."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from shequ.accounts.demo import DEMO_PASSWORD
from shequ.core.settings_store import is_demo


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django 5.2 reworded this validator's message and its Chinese translation no longer
    matches, so users were told in English; the same rule, in Chinese."""

    def get_error_message(self) -> str:
        return f"密码太短，至少要有 {self.min_length} 个字符。"

    def get_help_text(self) -> str:
        return f"密码至少要有 {self.min_length} 个字符。"


class DemoPasswordValidator:
    """The demo's password is printed in the README and on the demo's login page: anywhere
    but the demo (`shequ demo` sets the flag) it is as good as no password, in any case of
    letters. The demo's own accounts are made without validation and keep it."""

    def validate(self, password: str, user=None) -> None:
        if password.strip().lower() == DEMO_PASSWORD and not is_demo():
            raise ValidationError(
                f"不能使用演示系统的公开密码“{DEMO_PASSWORD}”，请另设密码。",
                code="password_demo",
            )

    def get_help_text(self) -> str:
        return "不能使用演示系统的公开密码。"
