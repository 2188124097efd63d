from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import activate
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from payvand.accounts import roles, selectors, services
from payvand.accounts.forms import LoginForm, PreferencesForm, TokenCreateForm
from payvand.accounts.models import User
from payvand.core.errors import PayvandError
from payvand.core.forms import apply_errors


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the UI language; remembered on the user (signed in) and in a cookie (everyone)."""
    from django.conf import settings

    language = request.POST.get("language", "")
    nxt = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        nxt = "/"
    response = HttpResponseRedirect(nxt)
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("Unknown language."))
        return response
    if request.user.is_authenticated:
        services.user_update_preferences(user=_user(request), language=language)
    activate(language)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    new_token: str | None = None
    pref_form = PreferencesForm(initial=PreferencesForm.initial_for(user))
    token_form = TokenCreateForm()
    if request.method == "POST" and request.POST.get("action") == "preferences":
        pref_form = PreferencesForm(request.POST)
        if pref_form.is_valid():
            try:
                services.user_update_preferences(user=user, **pref_form.cleaned_data)
            except PayvandError as exc:
                apply_errors(pref_form, exc)
            else:
                activate(user.language)
                messages.success(request, _("Preferences saved."))
                response = redirect("accounts:profile")
                from django.conf import settings

                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
                return response
    elif request.method == "POST" and request.POST.get("action") == "token":
        token_form = TokenCreateForm(request.POST)
        if token_form.is_valid():
            try:
                _token, new_token = services.api_token_create(user=user, name=token_form.cleaned_data["name"])
            except PayvandError as exc:
                apply_errors(token_form, exc)
            else:
                token_form = TokenCreateForm()
    return render(
        request,
        "accounts/profile.html",
        {
            "pref_form": pref_form,
            "token_form": token_form,
            "new_token": new_token,
            "tokens": selectors.api_token_list_for_user(user=user),
            "roles": [str(roles.LABELS.get(g.name, g.name)) for g in user.groups.all()],
            "today": timezone.localdate(),
        },
    )


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        services.api_token_revoke(user=_user(request), token_id=token_id)
    except PayvandError as exc:
        messages.error(request, str(exc.detail))
    else:
        messages.success(request, _("Token revoked."))
    return redirect("accounts:profile")


@login_required
def teams(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/teams.html", {"teams": selectors.team_list_for_user(user=_user(request))})
