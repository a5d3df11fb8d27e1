"""The public removal request form."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from django import forms

from chats.models import Platform

# Not the comment form's field name: a robot that learnt one form's trap
# should not skip the other's.
HONEYPOT = "phone_extension"
# Loose on purpose (the moderators confirm): Twitter names, Mastodon
# user@instance, Bluesky domain handles and DIDs.
HANDLE_PATTERN = re.compile(r"[A-Za-z0-9_.\-@:]{1,200}")


def normalise_handle(value: str, platform: str = "") -> str:
    """What people paste, as a handle: ``@name``, a profile address
    (https://twitter.com/name, https://mastodon.social/@name,
    https://bsky.app/profile/name.bsky.social) or ``@user@instance``."""
    value = (value or "").strip()
    if value.lower().startswith(("http://", "https://")):
        parts = urlsplit(value)
        segments = [segment for segment in parts.path.split("/") if segment]
        if segments and segments[0] == "profile" and len(segments) > 1:  # bsky.app/profile/<handle>
            value = segments[1]
        elif segments and segments[0].startswith("@") and platform == "mastodon":
            value = f"{segments[0]}@{parts.hostname or ''}"
        elif segments:
            value = segments[0]
    return value.lstrip("@")


class RemovalRequestForm(forms.Form):
    platform = forms.ChoiceField(choices=Platform.choices, label="Where you posted")
    handle = forms.CharField(
        max_length=250, label="Your handle on that platform",
        help_text="As it appears in the archive, e.g. @nurse_jo, @jo@mastodon.social or jo.bsky.social.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"}),
    )
    email = forms.EmailField(
        label="Your email", help_text="Only the moderators see it; they write to you to confirm it is you.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    message = forms.CharField(
        required=False, max_length=5000, label="Anything we should know (optional)",
        help_text="For example how we can confirm the account is yours, or which chats you mean.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    # Robots fill every field; people never see this one (the template hides
    # it off-screen, aria-hidden, out of the tab order).
    phone_extension = forms.CharField(required=False, label="Leave this field empty")

    def clean_handle(self):
        handle = normalise_handle(self.cleaned_data.get("handle", ""), self.data.get("platform", ""))
        if not handle:
            raise forms.ValidationError("Enter your handle.")
        if not HANDLE_PATTERN.fullmatch(handle):
            raise forms.ValidationError(
                "A handle has only letters, digits and _ . - @ : (no spaces), up to 200 characters.")
        return handle

    def clean(self):
        cleaned = super().clean()
        if cleaned.get(HONEYPOT):
            raise forms.ValidationError("Your request looks automated and was not accepted.", code="honeypot")
        return cleaned
