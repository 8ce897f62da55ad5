"""What every page needs: the system's name, and the signed-in user's node and menu."""

from django.conf import settings
from django.urls import reverse

from shequ.accounts.audit_log import may_read_audit_log
from shequ.accounts.mail_failures import latest_unread
from shequ.accounts.scope import scope_for
from shequ.accounts.services import may_manage_users
from shequ.compliance.target_changes import may_set_targets
from shequ.core.settings_store import is_demo
from shequ.regions.levels import is_above_street


def navigation(request):
    context = {
        "system_name": settings.SHEQU_SYSTEM_NAME,
        "district_name": settings.SHEQU_DISTRICT_NAME,
        "is_demo": is_demo(),
    }
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    scope = scope_for(user)
    context["user_scope"] = scope
    context["menu"] = _menu(scope)
    context["unread"] = user.notifications.filter(read_at__isnull=True).count()
    if context["unread"] and scope.is_root_admin:
        # Mail that could not be sent cannot say so by mail: a banner until it is read.
        context["mail_failure"] = latest_unread(user)
    match = getattr(request, "resolver_match", None)
    context["active"] = _ACTIVE_BY_URL_NAME.get(match.url_name if match else "", "")
    return context


# Which menu entry a page belongs to, so the navigation can mark it.
_ACTIVE_BY_URL_NAME = {
    "regions": "regions",
    "region": "regions",
    "region_change": "regions",
    "audit": "audit",
    "ledger_home": "ledger",
    "ledger_grid": "ledger",
    "ledger_review": "ledger",
    "ledger_row_history": "ledger",
    "dashboard": "dashboard",
    "dashboard_region": "dashboard",
    "community_page": "dashboard",
    "targets": "targets",
    "evaluation": "evaluation",
    "plan_list": "plans",
    "plan_detail": "plans",
    "street_plans": "plans",
    "street_plan": "plans",
    "asset_list": "assets",
    "asset_create": "assets",
    "asset_detail": "assets",
    "subsidy": "subsidy",
    "checklist": "checklist",
    "checklist_region": "checklist",
    "users": "users",
    "user_create": "users",
    "user_detail": "users",
    "user_password": "users",
}


def _entry(label: str, url_name: str, key: str) -> dict:
    return {"label": label, "url": reverse(url_name), "key": key}


def _menu(scope) -> list[dict]:
    """The navigation: the daily work first; assets and money, and administration, as
    drop-downs so that every role's menu fits one line at 1366 pixels."""
    node = scope.node
    items = []
    if node is not None and not node.is_community:
        items.append(_entry("达标看板", "dashboard", "dashboard"))
    items += [
        _entry("台账", "ledger_home", "ledger"),
        _entry("一社区一方案", "plan_list", "plans"),
        _entry("功能设置", "checklist", "checklist"),
    ]
    if node is not None and is_above_street(node.level):
        items.append(_entry("年度评估", "evaluation", "evaluation"))
    items.append(
        {
            "label": "资产与资金",
            "key": "resources",
            "children": [
                _entry("闲置资产", "asset_list", "assets"),
                _entry("补助资金", "subsidy", "subsidy"),
            ],
        }
    )
    admin = [_entry("区划", "regions", "regions")]
    if may_set_targets(scope):
        admin.append(_entry("达标目标", "targets", "targets"))
    if may_manage_users(scope):
        admin.append(_entry("用户管理", "users", "users"))
    if may_read_audit_log(scope):
        admin.append(_entry("操作记录", "audit", "audit"))
    items.append({"label": "管理" if len(admin) > 1 else "区划", "key": "admin", "children": admin})
    for item in items:
        children = item.get("children")
        if children and len(children) == 1:
            item.update(children[0], children=None)
    return items
