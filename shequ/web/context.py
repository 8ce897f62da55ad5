"""What every page needs: the system's name, and the signed-in user's node and menu."""

from django.conf import settings
from django.urls import reverse

from shequ.accounts.roles import Permission
from shequ.accounts.scope import scope_for
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
}


def _menu(scope) -> list[dict]:
    items = []
    if scope.node is not None and not scope.node.is_community:
        items.append({"label": "达标看板", "url": reverse("dashboard"), "key": "dashboard"})
    items += [
        {"label": "台账", "url": reverse("ledger_home"), "key": "ledger"},
        {"label": "一社区一方案", "url": reverse("plan_list"), "key": "plans"},
        {"label": "闲置资产", "url": reverse("asset_list"), "key": "assets"},
        {"label": "补助资金", "url": reverse("subsidy"), "key": "subsidy"},
        {"label": "功能设置", "url": reverse("checklist"), "key": "checklist"},
        {"label": "区划", "url": reverse("regions"), "key": "regions"},
    ]
    if scope.node is not None and is_above_street(scope.node.level):
        items.append({"label": "年度评估", "url": reverse("evaluation"), "key": "evaluation"})
    if scope.can(Permission.MANAGE):
        items.append(
            {"label": "用户管理", "url": reverse("admin:accounts_user_changelist"), "key": "users"}
        )
        items.append({"label": "达标目标", "url": reverse("targets"), "key": "targets"})
        items.append({"label": "操作记录", "url": reverse("audit"), "key": "audit"})
    return items
