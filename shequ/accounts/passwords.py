"""Password validators whose messages Django's Chinese catalogue lacks."""

from django.contrib.auth import password_validation


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django 5.2 reworded this validator's message and its Chinese translation no longer
    matches, so users were told in English; the same rule, in Chinese."""

    def get_error_message(self) -> str:
        return f"密码太短，至少要有 {self.min_length} 个字符。"

    def get_help_text(self) -> str:
        return f"密码至少要有 {self.min_length} 个字符。"
