"""The agent workspace at /workspace/: one page whose live state comes over /ws/agent/.

The views only decide who may open it and check the agent's browser; conversations, transcripts,
permissions and calls arrive in the socket's `hello` and the frames after it (static/workspace/).
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.models import Account, User
from calls.browsers import check_client
from settings_profiles.models import AccountCallSettings
from settings_profiles.texts import render_text

from .selectors import transfer_targets, workspace_transcript

AGENT_SOCKET_PATH = "/ws/agent/"


def _may_use_workspace(user: User) -> bool:
    """Agents and account admins of an active account; support staff without an account may not."""
    return user.is_active and user.account is not None and user.account.active


def _agent_or_refusal(request: HttpRequest) -> tuple[User, Account] | HttpResponse:
    """The agent (or admin) and their active account, or the page that refuses the visitor."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    account = user.account
    if not (user.is_active and account is not None and account.active):
        return render(request, "workspace/forbidden.html", status=403)
    return user, account


@require_GET
def workspace(request: HttpRequest) -> HttpResponse:
    """The workspace page: the socket URL, who the agent is, and whether this browser can call."""
    agent = _agent_or_refusal(request)
    if isinstance(agent, HttpResponse):
        return agent
    user, account = agent
    browser = check_client(
        user_agent=request.headers.get("user-agent", ""), webrtc=True, camera=True, microphone=True, media="voice"
    )
    # Every word of the call panel in the account's texts (its locale) from the first paint: the template
    # renders them and the page's state starts with them (`texts`), before the socket's `hello` brings
    # them again (and a `settings` frame any change).
    texts = AccountCallSettings.objects.get(account=account).resolved_texts()
    config = {
        "socket_path": AGENT_SOCKET_PATH,
        "transcript_url": reverse("workspace:transcript", args=[0]).replace("/0/", "/{id}/"),
        "colleagues_url": reverse("workspace:colleagues"),
        "login_url": reverse("login") + "?next=" + reverse("workspace:index"),
        "agent": {"id": user.pk, "name": user.display_name, "role": user.role},
        "account": {"slug": account.slug, "name": account.name},
        "browser": {"supported": browser.ok, "name": browser.browser, "reason": browser.reason},
        "texts": texts,
    }
    # The agent's browser is checked too (docs/product.md): check_client decides, the page says it.
    browser_key = "agent_check_browser_ok" if browser.ok else "agent_check_browser_unsupported"
    context = {
        "account": account,
        "config": config,
        "browser": browser,
        "browser_check": render_text(texts[browser_key], browser=browser.browser),
        "browser_banner": render_text(texts["agent_banner_browser"], browser=browser.browser),
        "is_admin": user.is_account_admin,
        "texts": texts,
    }
    return render(request, "workspace/workspace.html", context)


@require_GET
def transcript(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """A conversation's transcript as JSON, for a conversation the socket named without messages
    (one queued while the page was open, then taken): queued ones of the account and the agent's own."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "Log in first."}, status=401)
    if not _may_use_workspace(request.user):
        return JsonResponse({"detail": "Not allowed."}, status=403)
    messages = workspace_transcript(agent=request.user, conversation_id=conversation_id)
    if messages is None:
        raise Http404("No such conversation.")
    return JsonResponse({"conversation_id": conversation_id, "messages": messages})


@require_GET
def colleagues(request: HttpRequest) -> HttpResponse:
    """The online colleagues a conversation can be transferred to (the transfer dialog asks when it
    opens, so the list is as fresh as the leases)."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "Log in first."}, status=401)
    if not _may_use_workspace(request.user):
        return JsonResponse({"detail": "Not allowed."}, status=403)
    return JsonResponse({"colleagues": transfer_targets(agent=request.user)})
