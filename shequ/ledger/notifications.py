"""Who hears about each step of a street's submission."""

from django.urls import reverse

from shequ.accounts.models import Role, User
from shequ.core.models import Notification
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


Kind = Notification.Kind

# Each step, who hears of it, what they read, the page it leads to, and its kind.
_STEPS = {
    "submit": (_district_approvers, "{name}已上报{late}，请审核", _review_url, Kind.SUBMITTED),
    "approve": (_street_users, "{name}已审核通过", _grid_url, Kind.APPROVED),
    "return": (_street_users, "{name}被退回：{reason}", _grid_url, Kind.RETURNED),
    "reopen": (_street_users, "{name}已重新打开：{reason}", _grid_url, Kind.REOPENED),
}


def notify_submission(
    submission: Submission, event: str, reason: str = "", *, head: str = ""
) -> None:
    """`head`: the chain head an approval made, carried in its notice (and e-mail) so that
    a copy outside the system anchors the chain (ADR 0039)."""
    if event not in _STEPS:
        return  # steps nobody waits for, such as loading history from files
    recipients, message, url, kind = _STEPS[event]
    text = message.format(
        name=f"{submission.street.name}{submission.period.label}台账",
        late="（逾期）" if submission.late else "",
        reason=reason,
    )
    if head:
        text += f"（第{submission.approved_version}版）。台帐指纹链头：{head}"
    notify(users=recipients(submission), message=text, url=url(submission), kind=kind)
