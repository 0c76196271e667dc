"""Small helpers for the agencies' (OPD) coordinators."""

from django.contrib.auth.models import Group

from kampungkb.scopes import OPD_GROUP, forget_scope


def grant_coordinator_access(users):
    """Give each user linked to an agency what the admin needs: staff status and the
    ``opd`` group (its model permissions live in kampungkb.roles). Returns the users that
    had to be changed."""
    group = Group.objects.get_or_create(name=OPD_GROUP)[0]
    changed = []
    for user in users:
        is_member = user.groups.filter(pk=group.pk).exists()
        if user.is_staff and is_member:
            continue
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        if not is_member:
            user.groups.add(group)
        forget_scope(user)
        changed.append(user)
    return changed
