"""The reader's comment form: fields, the honeypot and the signed timestamp."""
from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.core import signing

TIMESTAMP_SALT = "summaries.comment-form"
HONEYPOT = "fax_number"


def signed_timestamp(summary_id: int) -> str:
    return signing.dumps([summary_id, time.time()], salt=TIMESTAMP_SALT)


class CommentForm(forms.Form):
    name = forms.CharField(max_length=200)
    email = forms.EmailField(help_text="Never shown; used for replies you ask for and to recognise you.")
    website = forms.URLField(required=False, max_length=500, assume_scheme="https")
    body = forms.CharField(
        label="Comment", max_length=5000, widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Plain text with light Markdown: *emphasis*, [links](https://…), > quotes, `code`.",
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    subscribe = forms.BooleanField(
        required=False, label="Email me new comments on this summary (we mail a link to confirm)"
    )
    # Robots fill every field; people never see this one (templates hide it
    # off-screen, aria-hidden, out of the tab order, labelled "leave empty").
    fax_number = forms.CharField(required=False, label="Leave this field empty")
    timestamp = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, summary, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.summary = summary
        self.signed_user = user if user is not None and user.is_authenticated else None
        if self.signed_user is not None:
            # A logged-in user comments as themselves.
            for name in ("name", "email", "website"):
                del self.fields[name]
        # Every rendering (also after an error) carries a fresh timestamp,
        # so a refused form can be sent again once the reader has waited.
        self.fields["timestamp"].initial = signed_timestamp(summary.pk)
        self.posted_timestamp = ""
        if self.is_bound:
            self.posted_timestamp = self.data.get("timestamp", "")
            self.data = self.data.copy()
            self.data["timestamp"] = self.fields["timestamp"].initial

    def clean_website(self):
        url = self.cleaned_data.get("website", "")
        if url and not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("Only http:// or https:// addresses.")
        return url

    def clean(self):
        cleaned = super().clean()
        # Reject robots before anything else: the reasons are told plainly.
        if cleaned.get(HONEYPOT):
            raise forms.ValidationError("Your comment looks automated and was not accepted.", code="honeypot")
        try:
            summary_id, shown_at = signing.loads(
                self.posted_timestamp, salt=TIMESTAMP_SALT, max_age=settings.COMMENTS_MAX_AGE_SECONDS
            )
        except signing.SignatureExpired:
            raise forms.ValidationError(
                "This form was open too long. Your text is kept below: send it again.", code="expired"
            ) from None
        except (signing.BadSignature, TypeError, ValueError):
            raise forms.ValidationError(
                "This form could not be checked; send it again.", code="bad_timestamp"
            ) from None
        if summary_id != self.summary.pk:
            raise forms.ValidationError("This form belongs to another page; send it again.", code="bad_timestamp")
        age = time.time() - shown_at
        if age > settings.COMMENTS_MAX_AGE_SECONDS:
            raise forms.ValidationError(
                "This form was open too long. Your text is kept below: send it again.", code="expired"
            )
        if age < settings.COMMENTS_MIN_SECONDS:
            raise forms.ValidationError(
                "That was too fast for a person: wait a few seconds and send again.", code="too_fast"
            )
        return cleaned
