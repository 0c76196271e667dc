"""The portal's groups and the Django model permissions each needs in the admin.

Scope (which rows) comes from ``kampungkb.scopes``; these permissions only say which
admin pages a group may open at all. Kept in sync on every ``migrate`` (post_migrate).
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

from .scopes import DINAS_GROUP, OPD_GROUP, VIEWER_GROUP

DINAS_APPS = ("villages", "activities", "reports")
DINAS_EXTRA = (
    "kampungkb.view_user",
    "kampungkb.add_user",
    "kampungkb.change_user",
    "auth.view_group",
    # Login lockouts (django-axes): the Dinas unlocks an account by deleting its attempts.
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
    "axes.view_accesslog",
    # Every background job, read-only (jobs.admin).
    "jobs.view_job",
)

# OPD coordinators: read the registry, manage their own agency's records.
OPD_PERMISSIONS = (
    "villages.view_kampungkb",
    "villages.view_kecamatan",
    "villages.view_kelurahan",
    "activities.view_opd",
    "activities.view_opdprogram",
    "activities.add_opdprogram",
    "activities.change_opdprogram",
    "activities.delete_opdprogram",
    "activities.view_activity",
    "activities.add_activity",
    "activities.change_activity",
    "activities.view_activityphoto",
    "activities.add_activityphoto",
    "activities.change_activityphoto",
    "activities.delete_activityphoto",
    "activities.view_activitytransition",
    # Usulan addressed to (or offered by) their agency: read and answer them in the admin.
    "activities.view_usulan",
    "activities.change_usulan",
    "activities.view_usulantransition",
    # Their own spreadsheet imports (the history).
    "activities.view_importbatch",
)

# Extra permissions other apps register for a group (e.g. usulan for OPD coordinators).
EXTRA_PERMISSIONS: dict[str, list[str]] = {DINAS_GROUP: [], OPD_GROUP: [], VIEWER_GROUP: []}


def _permissions(Permission, codenames):
    wanted = {tuple(c.split(".", 1)) for c in codenames}
    perms = Permission.objects.filter(
        content_type__app_label__in={a for a, _ in wanted}
    ).select_related("content_type")
    return [p for p in perms if (p.content_type.app_label, p.codename) in wanted]


def sync_groups(apps=global_apps, verbosity=0, **kwargs):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, apps=global_apps)

    dinas, _ = Group.objects.get_or_create(name=DINAS_GROUP)
    dinas.permissions.set(
        list(Permission.objects.filter(content_type__app_label__in=DINAS_APPS))
        + _permissions(Permission, DINAS_EXTRA + tuple(EXTRA_PERMISSIONS[DINAS_GROUP]))
    )
    opd, _ = Group.objects.get_or_create(name=OPD_GROUP)
    opd.permissions.set(
        _permissions(Permission, OPD_PERMISSIONS + tuple(EXTRA_PERMISSIONS[OPD_GROUP]))
    )
    viewer, _ = Group.objects.get_or_create(name=VIEWER_GROUP)
    viewer.permissions.set(_permissions(Permission, tuple(EXTRA_PERMISSIONS[VIEWER_GROUP])))


def post_migrate_sync(sender, app_config=None, **kwargs):
    # Run once, after the last app migrated, when every permission exists.
    if sender.name == list(global_apps.get_app_configs())[-1].name:
        sync_groups()
