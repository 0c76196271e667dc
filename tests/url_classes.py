"""Every URL pattern of ``kampungkb.urls``, classified by who may open it.

``tests/test_url_matrix.py`` walks the URLconf and fails on any pattern that is not in
:data:`CLASSIFICATION` (or, for the admin, not a page of a registered ModelAdmin), so a
new page is only accepted once someone has said who may reach it.

Adding a page is one line::

    "activities:detail": Rule(ACTIVITY_READ, pk="activity"),

The access classes say what each role of the cast must get (see ``expected_get`` /
``may_post`` in the test). URL keyword arguments name an *object kind*; the test fills
them with every object of that kind in :data:`OBJECT_KINDS` (one per site / kecamatan /
OPD of the cast), so each page is tried with the user's own objects and other people's.
"""

from dataclasses import dataclass, field

# --- Access classes -------------------------------------------------------------------
PUBLIC = "public"  # anyone, GET only (landing, public JavaScript catalogue)
PUBLIC_POST = "public-post"  # anyone, a POST-only action (logout, set language)
LOGIN_PAGE = "login-page"  # the login form: anonymous users; a logged-in user is redirected
LOGIN = "login"  # any logged-in user, about themselves (dashboard, password change)
LOGIN_LIST = "login-list"  # any logged-in user; the page lists only what they may see
DINAS = "dinas"  # Dinas staff only
SITE_READ = "site-read"  # a site's page: the roles that may read that site
SITE_MANAGE = "site-manage"  # a site's forms: the roles that manage that site
PUBLIC_SITE = "public-site"  # the public page of an *active* site
DEBUG_MEDIA = "debug-media"  # uploaded files in development only (absent when DEBUG=False)
# The admin's own pages (its model pages are derived from the ModelAdmin registry).
ADMIN_STAFF = "admin-staff"  # any staff user; others are sent to the admin login
ADMIN_LOGIN = "admin-login"
ADMIN_POST = "admin-post"  # the admin's POST-only logout
ADMIN_MODEL_REDIRECT = "admin-model-redirect"  # <object_id>/ → <object_id>/change/
ADMIN_CATCH_ALL = "admin-catch-all"
ADMIN_USER_PASSWORD = "admin-user-password"  # Dinas sets passwords, never a superuser's


@dataclass(frozen=True)
class Rule:
    access: str
    kwargs: dict = field(default_factory=dict)

    def __init__(self, access, **kwargs):
        object.__setattr__(self, "access", access)
        object.__setattr__(self, "kwargs", kwargs)


# URL name (``namespace:name``) or, for unnamed patterns, the full route → Rule.
CLASSIFICATION = {
    "landing": Rule(PUBLIC),
    "login": Rule(LOGIN_PAGE),
    "logout": Rule(PUBLIC_POST),
    "password_change": Rule(LOGIN),
    "password_change_done": Rule(LOGIN),
    "dashboard": Rule(LOGIN),
    "set_language": Rule(PUBLIC_POST),
    "javascript-catalog": Rule(PUBLIC),
    "villages:site-list": Rule(LOGIN_LIST),
    "villages:site-create": Rule(DINAS),
    "villages:site-detail": Rule(SITE_READ, pk="site"),
    "villages:site-update": Rule(SITE_MANAGE, pk="site"),
    "villages:profile-create": Rule(SITE_MANAGE, site_pk="site"),
    "villages:population-create": Rule(SITE_MANAGE, site_pk="site"),
    "villages:kkbpk-create": Rule(SITE_MANAGE, site_pk="site"),
    "public:site-detail": Rule(PUBLIC_SITE, pk="site"),
    "media/<path:path>": Rule(DEBUG_MEDIA),
    # Admin pages that belong to no ModelAdmin.
    "admin:index": Rule(ADMIN_STAFF),
    "admin:login": Rule(ADMIN_LOGIN),
    "admin:logout": Rule(ADMIN_POST),
    "admin:password_change": Rule(ADMIN_STAFF),
    "admin:password_change_done": Rule(ADMIN_STAFF),
    "admin:jsi18n": Rule(ADMIN_STAFF),
    "admin:autocomplete": Rule(ADMIN_STAFF),
    "admin:app_list": Rule(ADMIN_STAFF, app_label="app_label"),
    "admin:view_on_site": Rule(ADMIN_STAFF, content_type_id="site_content_type", object_id="site"),
    "admin/(?P<url>.*)$": Rule(ADMIN_CATCH_ALL),
    "admin:auth_user_password_change": Rule(ADMIN_USER_PASSWORD, id="user"),
}

# Object kinds that fill URL kwargs: keys of ``world["objects"]`` in tests/test_url_matrix.py
# (the cast's sites, users...). A new kind (e.g. "activity": ["activity_a_draft", ...]) adds
# its objects there, with markers for the leak check, and its policy table below.
OBJECT_KINDS = {
    "site": ["site_a", "site_b", "site_c", "site_inactive"],
    "user": ["user_pokja_a", "superuser"],
}

# The access policy, written out per role (not computed from kampungkb.scopes, so the
# matrix checks the scope code against an independent statement of the rules).
SITES_READ = {
    "anonymous": set(),
    "dinas": {"site_a", "site_b", "site_c", "site_inactive"},
    "pokja_a": {"site_a"},
    "member_a": {"site_a"},
    "pokja_b": {"site_b"},
    "viewer_b": {"site_c"},
    "opd_x": {"site_a", "site_b", "site_c", "site_inactive"},
    "opd_y": {"site_a", "site_b", "site_c", "site_inactive"},
}
SITES_MANAGED = {
    "dinas": {"site_a", "site_b", "site_c", "site_inactive"},
    "pokja_a": {"site_a"},
    "pokja_b": {"site_b"},
}
PUBLIC_SITES = {"site_a", "site_b", "site_c"}
STAFF_ROLES = {"dinas", "opd_x", "opd_y"}
