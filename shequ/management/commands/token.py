from django.core.management.base import CommandError

from shequ.accounts.models import User
from shequ.accounts.tokens import TokenError, token_create
from shequ.management.base import ShequCommand


class Command(ShequCommand):
    help = "为用户创建 API 访问令牌；令牌只显示这一次，单独打印在最后一行"

    def add_arguments(self, parser):
        parser.add_argument("username", metavar="USERNAME")
        parser.add_argument("--name", default="命令行创建", help="令牌用途（默认：命令行创建）")
        super().add_arguments(parser)

    def handle(self, *args, username, name, **options):
        scope = self.scope(options)
        if not scope.is_operator:
            raise CommandError("只有命令行操作员可以为他人创建令牌；用户可在“访问令牌”页面自己创建")
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户“{username}”不存在")
        try:
            token, raw = token_create(user=user, name=name, actor=scope.actor)
        except TokenError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"已为 {user.username} 创建访问令牌“{token.name}”，请妥善保存（只显示这一次）："
        )
        self.stdout.write(raw)
