"""Who hears about each step of a street's submission."""

from django.urls import reverse

from shequ.accounts.models import Role, User
from shequ.core.notify import notify
from shequ.ledger.models import Submission


def _street_users(submission: Submission):
    return User.objects.filter(
        node=submission.street, role__in=[Role.EDITOR, Role.APPROVER], is_active=True
    )


def _district_approvers(submission: Submission):
    ancestors = submission.street.ancestor_codes
    return User.objects.filter(node__code__in=ancestors, role=Role.APPROVER, is_active=True)


def _grid_url(submission: Submission) -> str:
    return reverse("ledger_grid", args=[submission.period.code, submission.street.code])


def _review_url(submission: Submission) -> str:
    return reverse("ledger_review", args=[submission.period.code, submission.street.code])


def notify_submission(submission: Submission, event: str, reason: str = "") -> None:
    name = f"{submission.street.name}{submission.period.label}台账"
    if event == "submit":
        late = "（逾期）" if submission.late else ""
        notify(
            users=_district_approvers(submission),
            message=f"{name}已上报{late}，请审核",
            url=_review_url(submission),
        )
    elif event == "approve":
        notify(
            users=_street_users(submission), message=f"{name}已审核通过", url=_grid_url(submission)
        )
    elif event == "return":
        notify(
            users=_street_users(submission),
            message=f"{name}被退回：{reason}",
            url=_grid_url(submission),
        )
    elif event == "reopen":
        notify(
            users=_street_users(submission),
            message=f"{name}已重新打开：{reason}",
            url=_grid_url(submission),
        )
