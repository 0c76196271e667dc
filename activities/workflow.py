"""The verification workflow of an activity, in one place.

::

    draft ──submit──▶ submitted ──verify──▶ verified
                        │   ▲                  │
                 return │   │ submit           │ reopen (Dinas, with a reason)
                        ▼   │                  │
                      returned ◀───────────────┘

* **submit** — whoever records the activity (the site's Pokja, the agency that recorded
  it, the Dinas), from draft or returned;
* **verify** / **return** (a reason is required) — the Dinas only, from submitted;
* **reopen** (a reason is required) — the Dinas only, from verified: the activity goes back
  to *returned*, so the Pokja sees the reason on its dashboard and can fix it.

Every function locks the activity row (``select_for_update``), checks the actor against
``kampungkb.scopes`` (``PermissionDenied`` → 403), refuses an illegal transition
(:class:`IllegalTransition` → 400) or a stale version (:class:`StaleVersion` → 409), then
writes an :class:`ActivityTransition` (who, when, why) and bumps ``Activity.version``.
Nothing is ever changed silently.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kampungkb.scopes import get_scope
from kampungkb.text import REASON_MAX

from .models import Activity, ActivityTransition

S = Activity.Status

SUBMIT, VERIFY, RETURN, REOPEN = "submit", "verify", "return", "reopen"

#: action -> (statuses it starts from, status it leads to, reason required)
TRANSITIONS = {
    SUBMIT: ((S.DRAFT, S.RETURNED), S.SUBMITTED, False),
    VERIFY: ((S.SUBMITTED,), S.VERIFIED, False),
    RETURN: ((S.SUBMITTED,), S.RETURNED, True),
    REOPEN: ((S.VERIFIED,), S.RETURNED, True),
}

#: The longest return/reopen reason, in characters: the form's limit and the workflow's
#: (the project's one limit for reasons, kampungkb.text.REASON_MAX).
REASON_MAX_LENGTH = REASON_MAX


def reason_too_long_message(length) -> str:
    """Names the limit and what was written, so the Dinas knows how much to cut."""
    return _("The reason may be at most %(limit)s characters (you wrote %(length)s).") % {
        "limit": number_format(REASON_MAX_LENGTH, force_grouping=True),
        "length": number_format(length, force_grouping=True),
    }


class WorkflowError(Exception):
    """A refused transition; ``status`` is the HTTP status the view answers with."""

    status = 400

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class IllegalTransition(WorkflowError):
    status = 400


class ReasonRequired(WorkflowError):
    status = 400


class ReasonTooLong(WorkflowError):
    status = 400


class StaleVersion(WorkflowError):
    status = 409


def may_act(user, activity, action) -> bool:
    """Whether ``user`` is the kind of actor ``action`` needs on ``activity`` (status
    aside): the Dinas for verify/return/reopen; whoever records the activity for submit."""
    scope = get_scope(user)
    if action == SUBMIT:
        return Activity.objects.managed_by(user).filter(pk=activity.pk).exists()
    return scope.is_dinas


def allowed_actions(user, activity) -> set[str]:
    """The transitions ``user`` may take on ``activity`` now (for buttons)."""
    return {
        action
        for action, (sources, _target, _reason) in TRANSITIONS.items()
        if activity.status in sources and may_act(user, activity, action)
    }


def stale_message(activity) -> str:
    if activity.status == S.VERIFIED:
        return _(
            "The Dinas verified this activity after you opened it, so nothing was saved. "
            "A verified activity is locked."
        )
    if activity.status == S.SUBMITTED:
        return _(
            "This activity was submitted for verification after you opened it, so nothing "
            "was saved. Reload the page to see its current state."
        )
    return _(
        "Someone else changed this activity after you opened it, so nothing was saved. "
        "Reload the page to see the latest version."
    )


def transition(activity, user, action, *, reason="", version=None) -> Activity:
    """Apply ``action`` to ``activity`` for ``user``; returns the updated activity."""
    if action not in TRANSITIONS:
        raise IllegalTransition(_("Unknown action."))
    sources, target, reason_required = TRANSITIONS[action]
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        if not may_act(user, locked, action):
            raise PermissionDenied
        if version is not None and int(version) != locked.version:
            raise StaleVersion(stale_message(locked))
        if locked.status not in sources:
            raise IllegalTransition(
                _("A %(status)s activity cannot be %(action)s.")
                % {"status": locked.get_status_display().lower(), "action": _action_label(action)}
            )
        if reason_required and not reason:
            raise ReasonRequired(
                _("Write the reason, so the Pokja knows what to fix.")
                if action == RETURN
                else _("Write the reason for reopening this verified activity.")
            )
        if len(reason) > REASON_MAX_LENGTH:
            raise ReasonTooLong(reason_too_long_message(len(reason)))
        now = timezone.now()
        from_status = locked.status
        locked.status = target
        locked.version += 1
        fields = ["status", "version", "updated_at"]
        if action == SUBMIT:
            locked.submitted_at = now
            fields.append("submitted_at")
            if locked.first_submitted_at is None:
                locked.first_submitted_at = now
                fields.append("first_submitted_at")
        if action == VERIFY:
            locked.verified_at = now
            fields.append("verified_at")
        if action == REOPEN:
            locked.verified_at = None
            fields.append("verified_at")
        # simple-history's audit row; its column holds 100 characters (the whole reason is
        # on the ActivityTransition below).
        locked._change_reason = (reason or action)[:100]
        locked.save(update_fields=fields)
        ActivityTransition.objects.create(
            activity=locked,
            from_status=from_status,
            to_status=target,
            user=user if user.is_authenticated else None,
            at=now,
            reason=reason,
        )
    return locked


def _action_label(action) -> str:
    return {
        SUBMIT: pgettext("workflow action", "submitted"),
        VERIFY: pgettext("workflow action", "verified"),
        RETURN: pgettext("workflow action", "returned"),
        REOPEN: pgettext("workflow action", "reopened"),
    }[action]


def submit(activity, user, **kwargs):
    return transition(activity, user, SUBMIT, **kwargs)


def verify(activity, user, **kwargs):
    return transition(activity, user, VERIFY, **kwargs)


def return_(activity, user, reason, **kwargs):
    return transition(activity, user, RETURN, reason=reason, **kwargs)


def reopen(activity, user, reason, **kwargs):
    return transition(activity, user, REOPEN, reason=reason, **kwargs)


def record_created(activity, user):
    """The first line of the status trail: the activity was recorded as a draft."""
    ActivityTransition.objects.create(
        activity=activity, from_status="", to_status=activity.status, user=user
    )
