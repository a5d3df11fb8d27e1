"""The public removal request form: GET shows it, POST saves a pending
request (chats.services.removal_requests) and redirects to the thanks page.
A refused form is shown again with what the person typed and the reason."""
from __future__ import annotations

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from chats.forms_consent import HONEYPOT, RemovalRequestForm
from chats.services.removal_requests import RemovalRequestRefused, removal_request_create
from hcsmca.client_ip import client_ip

# The HTTP status of a refused form: the page is shown again with the reason.
REFUSED_STATUS = {"rate_limited": 429, "unavailable": 503}


@require_http_methods(["GET", "POST"])
def removal_request(request):
    status = 200
    if request.method == "POST":
        form = RemovalRequestForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                removal_request_create(
                    platform=data["platform"], handle=data["handle"], email=data["email"], message=data["message"],
                    ip=client_ip(request), base_url=request.build_absolute_uri("/"),
                )
            except RemovalRequestRefused as refusal:
                form.add_error(None, refusal.message)
                status = REFUSED_STATUS.get(refusal.code, 400)
            else:
                return redirect("consent:removal-thanks")
        else:
            status = 400
    else:
        form = RemovalRequestForm(initial={"platform": request.GET.get("platform", ""),
                                           "handle": request.GET.get("handle", "")[:250]})
    return render(request, "chats/consent/removal_form.html", {"form": form, "honeypot": HONEYPOT}, status=status)


@require_http_methods(["GET"])
def removal_thanks(request):
    return render(request, "chats/consent/removal_thanks.html")
