"""Comment pages: the comment section of a summary (form handling lives in
``comments_section``, called by ``views.summary_detail`` so that a refused
form is shown again on the summary page with what the reader typed), the
moderators' queue, and the subscription links mailed to commenters."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from hcsmca.client_ip import client_ip
from summaries.comment_forms import HONEYPOT, CommentForm
from summaries.models import Comment, Summary
from summaries.services.comments import (
    CommentRejected,
    comment_history,
    comment_submit,
    comment_thread,
    comments_are_open,
    comments_moderate,
    comments_spam_and_block,
    moderation_queue,
    subscription_confirm,
    subscription_unsubscribe,
)

QUEUE_PAGE_SIZE = 50
# The HTTP status of a refused form: the page is shown again with the reason.
REJECTED_STATUS = {"rate_limited": 429, "closed": 403, "unavailable": 503}


def _count(nodes) -> int:
    return sum(1 + _count(node.children) for node in nodes)


def _find(nodes, pk: int):
    for node in nodes:
        if node.comment.pk == pk:
            return node
        found = _find(node.children, pk)
        if found:
            return found
    return None


def comments_section(request, summary: Summary):
    """(context of the comment block, HTTP status), or (the redirect, 302)
    after a comment was accepted (POST, redirect, GET). Reads: the thread,
    one query."""
    thread = comment_thread(summary=summary)
    is_open = comments_are_open(summary)
    form, status, rejected = None, 200, ""
    if is_open and request.method == "POST":
        form = CommentForm(request.POST, summary=summary, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                comment = comment_submit(
                    summary=summary, body=data["body"], author_name=data.get("name", ""),
                    author_email=data.get("email", ""), author_url=data.get("website", ""),
                    parent_id=data.get("parent"), user=request.user, ip=client_ip(request),
                    user_agent=request.headers.get("User-Agent", ""), subscribe=data["subscribe"],
                    base_url=request.build_absolute_uri("/"),
                )
            except CommentRejected as refusal:
                form.add_error(None, refusal.message)
                status = REJECTED_STATUS.get(refusal.code, 400)
                rejected = refusal.code
            else:
                if data["subscribe"]:
                    messages.info(request, "We mailed you a link to confirm that you want new comments by email.")
                if comment.status == Comment.Status.APPROVED:
                    messages.success(request, "Thank you: your comment is published.")
                    return HttpResponseRedirect(f"{summary.get_absolute_url()}#comment-{comment.pk}"), 302
                messages.info(request, "Thank you: your comment is held for moderation and will appear once approved.")
                return HttpResponseRedirect(f"{summary.get_absolute_url()}#comments"), 302
        else:
            status = 400
    elif request.method == "POST":
        status = 403
    reply_to = None
    if is_open:
        if form is None:
            initial = {}
            replyto = request.GET.get("replyto", "")
            if replyto.isdigit():
                node = _find(thread, int(replyto))
                if node:
                    reply_to = node.comment
                    initial["parent"] = node.comment.pk
            form = CommentForm(initial=initial, summary=summary, user=request.user)
        else:
            parent = form.data.get("parent", "")
            node = _find(thread, int(parent)) if str(parent).isdigit() else None
            reply_to = node.comment if node else None
    return {
        "comment_thread": thread,
        "comment_count": _count(thread),
        "comments_are_open": is_open,
        "comment_form": form,
        "comment_reply_to": reply_to,
        "comment_honeypot": HONEYPOT,
        "comment_rejected": rejected,
        "comments_closed_by_post": request.method == "POST" and not is_open,
    }, status


@login_required
@permission_required("summaries.change_comment", raise_exception=True)
@require_http_methods(["GET", "POST"])
def moderation(request):
    """The moderators' queue: pending, spam and recently removed comments of
    every summary, with bulk approve / spam / remove / back to pending."""
    if request.method == "POST":
        action = request.POST.get("action", "")
        ids = [int(pk) for pk in request.POST.getlist("comment") if pk.isdigit()]
        if action not in {"approve", "spam", "remove", "pending", "block"} or not ids:
            messages.error(request, "Select comments and an action.")
        elif action == "block":
            blocked = comments_spam_and_block(comment_ids=ids, by=request.user)
            messages.success(request, f"Marked as spam; {blocked} commenter{'s' if blocked != 1 else ''} blocked.")
        else:
            changed = comments_moderate(
                comment_ids=ids, action=action, by=request.user, base_url=request.build_absolute_uri("/")
            )
            messages.success(request, f"{changed} comment{'s' if changed != 1 else ''}: {action}.")
        return redirect(request.get_full_path())
    queue = moderation_queue()
    status = request.GET.get("status", "")
    if status in {Comment.Status.PENDING, Comment.Status.SPAM, Comment.Status.REMOVED}:
        queue = queue.filter(status=status)
    page = Paginator(queue, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    comments = list(page.object_list)
    history = comment_history(emails={comment.author_email for comment in comments})
    for comment in comments:
        comment.history = history.get(comment.author_email, {})
    return render(request, "summaries/moderation.html", {
        "page": page, "comments": comments, "status": status,
        "removed_days": settings.COMMENTS_RECENTLY_REMOVED_DAYS,
    })


@require_http_methods(["GET"])
def subscribe_confirm(request, token: str):
    subscription = subscription_confirm(token=token)
    return render(request, "summaries/comment_subscription.html", {
        "subscription": subscription, "confirmed": subscription is not None,
    }, status=200 if subscription else 404)


# Mail clients' one-click unsubscribe (RFC 8058) posts without a CSRF token;
# the secret token is the authorisation and unsubscribing twice is harmless.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    subscription = subscription_unsubscribe(token=token)
    return render(request, "summaries/comment_subscription.html", {
        "subscription": subscription, "unsubscribed": subscription is not None,
    }, status=200 if subscription else 404)
