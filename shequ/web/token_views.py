"""Each user's own API tokens: listed, created (shown once), revoked."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from shequ.accounts.tokens import TokenError, token_create, token_revoke
from shequ.core.actors import Actor


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    actor = Actor.for_user(request.user)
    created = None
    if request.method == "POST" and request.POST.get("revoke"):
        token = get_object_or_404(request.user.api_tokens, pk=request.POST["revoke"])
        try:
            token_revoke(token=token, actor=actor)
        except TokenError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"已撤销令牌“{token.name}”")
        return redirect("tokens")
    if request.method == "POST":
        try:
            token, raw = token_create(user=request.user, name=request.POST.get("name"), actor=actor)
        except TokenError as error:
            messages.error(request, str(error))
        else:
            # Shown on this answer only: it is not stored, so it cannot be shown again.
            created = {"token": token, "raw": raw}
    return render(
        request,
        "web/tokens.html",
        {"tokens": request.user.api_tokens.all(), "created": created},
    )
