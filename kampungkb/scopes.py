"""Who may see and change what: the one place where a user's scope is computed.

Every queryset a page, export, report or admin uses starts from a model's
``visible_to(user)`` / ``editable_by(user)``; those methods build their filters from the
:class:`Scope` below, computed once per request and cached on the user object.

Roles (a user may hold several at once):

* Dinas (group ``dinas``, or a superuser): everything, verification, master data.
* Pokja member linked to a user: their own site(s); ketua/sekretaris (and wakil ketua)
  manage the site profile, figures and member list.
* OPD coordinator (group ``opd`` and linked to one or more OPD): reads every site; writes only
  their own OPD's records.
* Area viewer (Camat/Lurah office): reads the sites of their kecamatan/kelurahan.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

DINAS_GROUP = "dinas"
OPD_GROUP = "opd"
VIEWER_GROUP = "viewer"
SCOPE_CACHE_ATTR = "_kampungkb_scope"


@dataclass(frozen=True)
class Scope:
    authenticated: bool = False
    is_dinas: bool = False
    is_opd: bool = False
    pokja_site_ids: frozenset[int] = field(default_factory=frozenset)
    managed_site_ids: frozenset[int] = field(default_factory=frozenset)
    kecamatan_ids: frozenset[int] = field(default_factory=frozenset)
    kelurahan_ids: frozenset[int] = field(default_factory=frozenset)
    opd_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def reads_all_sites(self) -> bool:
        """Dinas and OPD coordinators read every site's registry data."""
        return self.is_dinas or self.is_opd

    @property
    def is_pokja(self) -> bool:
        return bool(self.pokja_site_ids)

    @property
    def is_viewer(self) -> bool:
        return bool(self.kecamatan_ids or self.kelurahan_ids)

    def site_q(self, path: str = "") -> Q:
        """Q matching the sites this scope may *read*, on a model whose site is at ``path``
        (``""`` for KampungKB itself, ``"site"``, ``"activity__site"``...). Use only where
        read_all_sites is False, or the Q is needlessly restrictive."""
        prefix = f"{path}__" if path else ""
        q = Q(**{f"{prefix}pk__in": self.pokja_site_ids}) if self.pokja_site_ids else Q(pk__in=[])
        if self.kecamatan_ids:
            q |= Q(**{f"{prefix}kelurahan__kecamatan_id__in": self.kecamatan_ids})
        if self.kelurahan_ids:
            q |= Q(**{f"{prefix}kelurahan_id__in": self.kelurahan_ids})
        return q

    def area_site_q(self, path: str = "") -> Q:
        """Q of the sites this scope reads as an *area viewer* only (no Pokja sites)."""
        prefix = f"{path}__" if path else ""
        q = Q(pk__in=[])
        if self.kecamatan_ids:
            q |= Q(**{f"{prefix}kelurahan__kecamatan_id__in": self.kecamatan_ids})
        if self.kelurahan_ids:
            q |= Q(**{f"{prefix}kelurahan_id__in": self.kelurahan_ids})
        return q

    def manages_site(self, site_id: int) -> bool:
        return self.is_dinas or site_id in self.managed_site_ids


ANONYMOUS_SCOPE = Scope()


def get_scope(user) -> Scope:
    """The user's scope, computed with one query once per request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS_SCOPE
    cached = getattr(user, SCOPE_CACHE_ATTR, None)
    if cached is not None:
        return cached
    group_names, pokja_site_ids, managed_site_ids = set(), set(), set()
    kecamatan_ids, kelurahan_ids, coordinated = set(), set(), set()
    PokjaMember = apps.get_model("activities", "PokjaMember")
    for kind, a, b in _scope_rows(user):
        if kind == "group":
            group_names.add(a)
        elif kind == "pokja":
            pokja_site_ids.add(int(a))
            if b in PokjaMember.MANAGER_POSITIONS:
                managed_site_ids.add(int(a))
        elif kind == "area":
            if a is not None:
                kecamatan_ids.add(int(a))
            if b is not None:
                kelurahan_ids.add(int(b))
        else:
            coordinated.add(int(a))
    is_dinas = user.is_superuser or DINAS_GROUP in group_names
    opd_ids = frozenset(coordinated) if OPD_GROUP in group_names else frozenset()
    scope = Scope(
        authenticated=True,
        is_dinas=is_dinas,
        is_opd=bool(opd_ids),
        pokja_site_ids=frozenset(pokja_site_ids),
        managed_site_ids=frozenset(managed_site_ids),
        kecamatan_ids=frozenset(kecamatan_ids),
        kelurahan_ids=frozenset(kelurahan_ids),
        opd_ids=opd_ids,
    )
    setattr(user, SCOPE_CACHE_ATTR, scope)
    return scope


def _scope_rows(user):
    """``(kind, a, b)`` rows: the user's group names, current Pokja memberships (site,
    position), area assignments (kecamatan, kelurahan) and coordinated agencies, in one
    query. Every signed-in page needs them, so the SQL (a UNION ALL) is written once per
    process from the models' tables: building it with the ORM cost 4 ms a request."""
    today = connection.ops.adapt_datefield_value(timezone.localdate())
    with connection.cursor() as cursor:
        cursor.execute(_scope_sql(), [user.pk, user.pk, today, today, user.pk, user.pk])
        return cursor.fetchall()


@functools.cache
def _scope_sql() -> str:
    PokjaMember = apps.get_model("activities", "PokjaMember")
    AreaAssignment = apps.get_model("villages", "AreaAssignment")
    OPD = apps.get_model("activities", "OPD")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    groups = User._meta.get_field("groups")
    user_groups = groups.remote_field.through._meta
    coordinators = OPD._meta.get_field("coordinators").remote_field.through._meta
    q = connection.ops.quote_name

    def col(meta, name):
        return q(meta.get_field(name).column)

    group, member, area = groups.related_model._meta, PokjaMember._meta, AreaAssignment._meta
    # "Current" membership: the rule of PokjaMemberQuerySet.current().
    # Identifiers come from the models' metadata; every value is a parameter.
    return (
        f"SELECT 'group', g.{col(group, 'name')}, NULL "  # noqa: S608
        f"FROM {q(group.db_table)} g JOIN {q(user_groups.db_table)} ug "
        f"ON ug.{col(user_groups, 'group')} = g.{q(group.pk.column)} "
        f"WHERE ug.{col(user_groups, 'user')} = %s "
        f"UNION ALL SELECT 'pokja', CAST(m.{col(member, 'site')} AS TEXT), "
        f"m.{col(member, 'position')} FROM {q(member.db_table)} m "
        f"WHERE m.{col(member, 'user')} = %s "
        f"AND (m.{col(member, 'active_from')} IS NULL OR m.{col(member, 'active_from')} <= %s) "
        f"AND (m.{col(member, 'active_until')} IS NULL OR m.{col(member, 'active_until')} >= %s) "
        f"UNION ALL SELECT 'area', CAST(a.{col(area, 'kecamatan')} AS TEXT), "
        f"CAST(a.{col(area, 'kelurahan')} AS TEXT) FROM {q(area.db_table)} a "
        f"WHERE a.{col(area, 'user')} = %s "
        f"UNION ALL SELECT 'opd', CAST(c.{col(coordinators, 'opd')} AS TEXT), NULL "
        f"FROM {q(coordinators.db_table)} c WHERE c.{col(coordinators, 'user')} = %s"
    )


def forget_scope(user) -> None:
    """Drop the cached scope (after changing a user's groups or memberships)."""
    if hasattr(user, SCOPE_CACHE_ATTR):
        delattr(user, SCOPE_CACHE_ATTR)


def is_dinas(user) -> bool:
    return get_scope(user).is_dinas
