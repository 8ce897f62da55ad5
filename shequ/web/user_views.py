"""用户管理 pages: the users of the administrator's node (searchable), a new user, one user
with their password reset, deactivation and history. Who may do what is decided in
`shequ.accounts.services` (ADR 0027); these views parse, dispatch and draw."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequ.accounts import services
from shequ.accounts.models import User
from shequ.accounts.roles import role_label_at
from shequ.accounts.scope import Scope
from shequ.core.errors import DomainError
from shequ.core.models import AuditEvent
from shequ.web.scoping import node_scope
from shequ.web.user_forms import PasswordResetForm, UserCreateForm, UserFilterForm

PAGE_SIZE = 50


def manager_scope(request: HttpRequest) -> Scope:
    """The caller's scope, if they manage users: without a node 404, without the right 403."""
    scope = node_scope(request)
    if not services.may_manage_users(scope):
        raise PermissionDenied("您没有管理用户的权限")
    return scope


@login_required
@require_GET
def user_list(request):
    scope = manager_scope(request)
    form = UserFilterForm(request.GET or None)
    visible = services.users_visible_to(scope)
    users = visible.select_related("node__parent")
    if form.is_valid():
        users = _filtered(users, form.cleaned_data)
    page = Paginator(users.order_by("node__path", "username"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for user in page.object_list:
        user.role_label = _role_label(user)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "users/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "total": visible.count(),
            "inactive": visible.filter(is_active=False).count(),
            "searched": bool(form.is_valid() and any(form.cleaned_data.values())),
        },
    )


def _filtered(users: QuerySet[User], data: dict) -> QuerySet[User]:
    """By name, username or node; a street's name finds its communities' users too."""
    text = (data.get("q") or "").strip()
    if text:
        users = users.filter(
            Q(username__icontains=text)
            | Q(full_name__icontains=text)
            | Q(node__name__icontains=text)
            | Q(node__parent__name__icontains=text)
            | Q(node__code__startswith=text)
        )
    if data.get("status"):
        users = users.filter(is_active=data["status"] == "active")
    return users


def _role_label(user: User) -> str:
    return role_label_at(user.role, user.node.level) if user.node else "未分配区划"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def user_create(request):
    scope = manager_scope(request)
    initial = {name: request.GET.get(name, "") for name in ("node", "role")}
    form = UserCreateForm(request.POST or None, scope=scope, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        password = values.pop("password") or services.generated_password()
        try:
            user = services.user_create(scope=scope, password=password, **values)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            # Shown on this answer only: the password is not kept anywhere readable.
            shown = {"password": password, "generated": not form.cleaned_data["password"]}
            return _detail(request, scope, user, created=shown)
    return render(request, "users/new.html", {"form": form})


def _visible_user(scope: Scope, pk: int) -> User:
    return get_object_or_404(services.users_visible_to(scope).select_related("node__parent"), pk=pk)


@login_required
@require_GET
def user_detail(request, pk: int):
    scope = manager_scope(request)
    return _detail(request, scope, _visible_user(scope, pk))


@never_cache
@login_required
@require_POST
def user_password(request, pk: int):
    scope = manager_scope(request)
    user = _visible_user(scope, pk)
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        try:
            password, generated = services.user_reset_password(
                scope=scope, user=user, password=form.cleaned_data["password"]
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            shown = {"password": password, "generated": generated}
            return _detail(request, scope, user, reset=shown)
    return _detail(request, scope, user, reset_form=form)


@login_required
@require_POST
def user_deactivate(request, pk: int):
    return _account_step(
        request, pk, services.user_deactivate, "已停用用户“{}”：不能再登录，历史记录保留"
    )


@login_required
@require_POST
def user_reactivate(request, pk: int):
    return _account_step(
        request, pk, services.user_reactivate, "已重新启用用户“{}”，可用原密码登录"
    )


def _account_step(request, pk: int, step, done: str):
    """Deactivate or reactivate: the service decides, the page says what became of it."""
    scope = manager_scope(request)
    user = _visible_user(scope, pk)
    try:
        step(scope=scope, user=user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done.format(user.username))
    return redirect("user_detail", pk=user.pk)


def _detail(
    request: HttpRequest,
    scope: Scope,
    user: User,
    *,
    created: dict | None = None,
    reset: dict | None = None,
    reset_form: PasswordResetForm | None = None,
) -> HttpResponse:
    user.role_label = _role_label(user)
    me = scope.actor.user
    return render(
        request,
        "users/detail.html",
        {
            "person": user,
            "created": created,
            "reset": reset,
            "reset_form": reset_form or PasswordResetForm(),
            "can_reset": services.may_manage_user(scope, user),
            "can_deactivate": services.may_deactivate_user(scope, user),
            "can_reactivate": services.may_reactivate_user(scope, user),
            "is_self": me is not None and me.pk == user.pk,
            "why_not": _why_not(scope, user),
            "history": _history(user),
        },
    )


def _why_not(scope: Scope, user: User) -> str:
    """Why the page offers no action on this user, in a clerk's words ('' if it does, or
    if it is the caller's own account, which the page explains with a link)."""
    if user.is_superuser:
        return "超级用户在后台管理中维护。"
    refusal = services.role_refusal(scope, user.role)
    if refusal is not None:
        return refusal.removeprefix("角色：") + "，管理员账号由其管理。"
    if user.is_active and services.is_last_root_admin(user):
        return "这是最后一个启用的最高一级管理员账号，不能停用。"
    if not user.is_active and user.node is not None and not user.node.is_active:
        return "所属区划已撤销，不能重新启用；请在新的区划下新建用户。"
    return ""


def _history(user: User) -> QuerySet[AuditEvent]:
    """What was done to the account, and its sign-ins: a login names the user's id, a
    failed login and every change the name."""
    login = Q(action="accounts.login", target_id=str(user.pk))
    named = Q(target_id=user.username) & ~Q(action="accounts.login")
    return AuditEvent.objects.filter(login | named, target_type="user").order_by("-at")[:30]
