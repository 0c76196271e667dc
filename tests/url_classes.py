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
``query=(parameter, kind)`` sends objects in the query string instead (the comparison's
``?kampung=…&kampung=…``).

The policy tables at the end (who reads, manages, answers what) are written out per role
and per object of the test world, from the rules in the README and the views' docstrings,
never computed from ``kampungkb.scopes``.
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
# Pages of activities, reports and coordination.
DINAS_READ = "dinas-read"  # a Dinas-only page without a form (the verification queue)
SITE_NESTED_READ = "site-nested-read"  # a page under a site URL: 404 outside, also on POST
SITE_MEMBERS = "site-members"  # a site's member list: names and phones (not the OPD)
LOGIN_ACTION = "login-action"  # POST-only, any logged-in user, about themselves
COMPARE_EXPORT = "compare-export"  # an export of the sites in the query: all readable+active
# Forms whose permitted roles are listed in FORM_ROLES (403 for the others).
ACTIVITY_CREATE = "activity-create"
USULAN_SEND = "usulan-send"
USULAN_OFFER = "usulan-offer"
IMPORT_UPLOAD = "import-upload"
ACTIVITY_READ = "activity-read"  # ACTIVITIES_READ
ACTIVITY_EDIT = "activity-edit"  # ACTIVITIES_MANAGED, while draft or returned
ACTIVITY_SUBMIT = "activity-submit"  # POST-only workflow actions (activities.workflow)
ACTIVITY_VERIFY = "activity-verify"
ACTIVITY_RETURN = "activity-return"
ACTIVITY_REOPEN = "activity-reopen"
PHOTO_READ = "photo-read"  # PHOTOS_READ
PUBLIC_PHOTO = "public-photo"  # PUBLIC_PHOTOS, for anyone
USULAN_READ = "usulan-read"  # USULAN_VISIBLE; answering: USULAN_ANSWER
NOTIFICATION_OPEN = "notification-open"  # the recipient only
IMPORT_TEMPLATE = "import-template"  # IMPORT_KINDS
IMPORT_READ = "import-read"  # IMPORTS_READ
IMPORT_ACTION = "import-action"  # POST-only; IMPORTS_PENDING (the uploader, while checked)
JOB_READ = "job-read"  # JOBS_READ: a background job's page and result file


@dataclass(frozen=True)
class Rule:
    access: str
    kwargs: dict = field(default_factory=dict)
    query: tuple | None = None  # (parameter, object kind): objects sent in the query string

    def __init__(self, access, query=None, **kwargs):
        object.__setattr__(self, "access", access)
        object.__setattr__(self, "kwargs", kwargs)
        object.__setattr__(self, "query", query)


# URL name (``namespace:name``) or, for unnamed patterns, the full route → Rule.
CLASSIFICATION = {
    "landing": Rule(PUBLIC),
    "healthz": Rule(PUBLIC),
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
    # Maps: the boundaries are public geography; the values list only the user's sites.
    "maps:boundaries": Rule(PUBLIC),
    "maps:public-values": Rule(PUBLIC),
    "maps:values": Rule(LOGIN_LIST),
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
    # Activities.
    "activities:list": Rule(LOGIN_LIST),
    "activities:create": Rule(ACTIVITY_CREATE),
    "activities:queue": Rule(DINAS_READ),
    "activities:detail": Rule(ACTIVITY_READ, pk="activity"),
    "activities:update": Rule(ACTIVITY_EDIT, pk="activity"),
    "activities:submit": Rule(ACTIVITY_SUBMIT, pk="activity"),
    "activities:verify": Rule(ACTIVITY_VERIFY, pk="activity"),
    "activities:return": Rule(ACTIVITY_RETURN, pk="activity"),
    "activities:reopen": Rule(ACTIVITY_REOPEN, pk="activity"),
    "activities:photo": Rule(PHOTO_READ, pk="photo"),
    "activities:photo-thumb": Rule(PHOTO_READ, pk="photo"),
    "activities:public-photo": Rule(PUBLIC_PHOTO, pk="photo"),
    "activities:public-photo-thumb": Rule(PUBLIC_PHOTO, pk="photo"),
    "activities:members": Rule(SITE_MEMBERS, site_pk="site"),
    "activities:member-create": Rule(SITE_MANAGE, site_pk="site"),
    "activities:member-update": Rule(SITE_MANAGE, site_pk="member.site", pk="member"),
    "activities:member-delete": Rule(SITE_MANAGE, site_pk="member.site", pk="member"),
    # Reports: lists and exports narrowed to what the user may see (leak-checked).
    "reports:classification": Rule(LOGIN_LIST),
    "reports:classification-export": Rule(LOGIN_LIST, fmt="fmt"),
    "reports:comparison": Rule(LOGIN_LIST, query=("kampung", "site_pair")),
    "reports:comparison-print": Rule(LOGIN_LIST, query=("kampung", "site_pair")),
    "reports:comparison-export": Rule(COMPARE_EXPORT, fmt="fmt", query=("kampung", "site_pair")),
    "reports:sustainability": Rule(LOGIN_LIST),
    "reports:site-timeline": Rule(SITE_NESTED_READ, site_pk="site"),
    "reports:monthly-report": Rule(SITE_NESTED_READ, site_pk="site"),
    "reports:activities": Rule(LOGIN_LIST),
    "reports:activities-export": Rule(LOGIN_LIST, fmt="fmt"),
    "reports:sites-export": Rule(LOGIN_LIST, fmt="fmt"),
    "reports:opd-matrix": Rule(LOGIN_LIST),
    # Usulan, the inbox, spreadsheet imports.
    "coordination:usulan-list": Rule(LOGIN_LIST),
    "coordination:usulan-create": Rule(USULAN_SEND),
    "coordination:usulan-offer": Rule(USULAN_OFFER),
    "coordination:usulan-detail": Rule(USULAN_READ, pk="usulan"),
    "coordination:inbox": Rule(LOGIN_LIST),
    "coordination:inbox-open": Rule(NOTIFICATION_OPEN, pk="notification"),
    "coordination:inbox-read-all": Rule(LOGIN_ACTION),
    "coordination:import": Rule(IMPORT_UPLOAD),
    "coordination:import-template": Rule(IMPORT_TEMPLATE, kind="import_kind"),
    "coordination:import-detail": Rule(IMPORT_READ, pk="import_batch"),
    "coordination:import-commit": Rule(IMPORT_ACTION, pk="import_batch"),
    "coordination:import-cancel": Rule(IMPORT_ACTION, pk="import_batch"),
    # Background jobs.
    "jobs:list": Rule(LOGIN_LIST),
    "jobs:detail": Rule(JOB_READ, pk="job"),
    "jobs:download": Rule(JOB_READ, pk="job"),
    "jobs:recompute": Rule(DINAS),
}

# Object kinds that fill URL kwargs: keys of ``world["objects"]`` in tests/test_url_matrix.py
# (the cast's sites, users...). A new kind (e.g. "activity": ["activity_a_draft", ...]) adds
# its objects there, with markers for the leak check, and its policy table below.
# A kind written "member.site" is derived: the site of the "member" filling the other kwarg
# (no product of unrelated objects). Kinds whose names are not keys of ``world["objects"]``
# ("fmt", "import_kind", "site_pair") are plain values.
OBJECT_KINDS = {
    "site": ["site_a", "site_b", "site_c", "site_inactive"],
    "user": ["user_pokja_a", "superuser"],
    "activity": ["act_a_draft", "act_a_submitted", "act_b_verified", "act_c_opd_x"],
    "photo": ["photo_a_draft", "photo_b_public", "photo_b_private", "photo_inactive_public"],
    "member": ["member_a", "member_b", "member_c"],
    "usulan": ["usulan_a_to_x", "usulan_y_to_c", "usulan_a_to_x_done"],
    "notification": ["note_dinas", "note_pokja_a", "note_viewer_b", "note_opd_x"],
    "import_batch": ["batch_pokja_a", "batch_opd_y"],
    "job": ["job_pokja_a", "job_opd_y"],
    "import_kind": ["members", "activities", "programs"],
    "fmt": ["csv"],  # the XLSX export is the same view (and its zipped body hides markers)
    "site_pair": [("site_a", "site_b"), ("site_b", "site_c"), ("site_a", "site_inactive")],
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
ACTIVE_SITES = {"site_a", "site_b", "site_c"}

# --- Activities -----------------------------------------------------------------------
# act_a_draft / act_a_submitted: site A's Pokja's; act_b_verified: site B, verified;
# act_c_opd_x: site C (kecamatan B), submitted, recorded by agency X.
ACTIVITY_STATUS = {
    "act_a_draft": "draft",
    "act_a_submitted": "submitted",
    "act_b_verified": "verified",
    "act_c_opd_x": "submitted",
}
# Drafts are their Pokja's (and their agency's); area viewers read what their area's sites
# submitted; OPD coordinators read verified activities and their own agency's.
ACTIVITIES_READ = {
    "anonymous": set(),
    "dinas": set(ACTIVITY_STATUS),
    "pokja_a": {"act_a_draft", "act_a_submitted"},
    "member_a": {"act_a_draft", "act_a_submitted"},
    "pokja_b": {"act_b_verified"},
    "viewer_b": {"act_c_opd_x"},
    "opd_x": {"act_b_verified", "act_c_opd_x"},
    "opd_y": {"act_b_verified"},
}
# Who records (edits while draft/returned, submits) each activity; verify, return and
# reopen are the Dinas's alone.
ACTIVITIES_MANAGED = {
    "dinas": set(ACTIVITY_STATUS),
    "pokja_a": {"act_a_draft", "act_a_submitted"},
    "member_a": {"act_a_draft", "act_a_submitted"},
    "pokja_b": {"act_b_verified"},
    "opd_x": {"act_c_opd_x"},
}
# Photos: on act_a_draft (marked public, but a draft), on act_b_verified (one public, one
# not), and marked public on a verified activity of the closed site.
PHOTOS_READ = {
    "anonymous": set(),
    "dinas": {"photo_a_draft", "photo_b_public", "photo_b_private", "photo_inactive_public"},
    "pokja_a": {"photo_a_draft"},
    "member_a": {"photo_a_draft"},
    "pokja_b": {"photo_b_public", "photo_b_private"},
    "viewer_b": set(),
    "opd_x": {"photo_b_public", "photo_b_private", "photo_inactive_public"},
    "opd_y": {"photo_b_public", "photo_b_private", "photo_inactive_public"},
}
PUBLIC_PHOTOS = {"photo_b_public"}

# --- Forms open to some roles (403 for the other logged-in users) ---------------------
FORM_ROLES = {
    # Pokja members at their own site, OPD coordinators (their agency's), the Dinas.
    ACTIVITY_CREATE: {"dinas", "pokja_a", "member_a", "pokja_b", "opd_x", "opd_y"},
    # A site's Pokja (any member) sends usulan up; the Dinas for any site.
    USULAN_SEND: {"dinas", "pokja_a", "member_a", "pokja_b"},
    # Agencies (and the Dinas) offer programs down.
    USULAN_OFFER: {"dinas", "opd_x", "opd_y"},
    # Whoever may import at least one kind (IMPORT_KINDS).
    IMPORT_UPLOAD: {"dinas", "pokja_a", "member_a", "pokja_b", "opd_x", "opd_y"},
}
IMPORT_KINDS = {
    "anonymous": set(),
    "dinas": {"members", "activities", "programs"},
    "pokja_a": {"members", "activities"},  # members: the site's managers only
    "member_a": {"activities"},
    "pokja_b": {"members", "activities"},
    "viewer_b": set(),
    "opd_x": {"activities", "programs"},
    "opd_y": {"activities", "programs"},
}

# --- Usulan, notifications, imports ---------------------------------------------------
# usulan_a_to_x: site A's Pokja asks agency X; usulan_y_to_c: agency Y offers to site C;
# usulan_a_to_x_done: site A asked agency X, carried out by site A's *draft* activity (whose
# title only the activity's readers may see).
USULAN_VISIBLE = {
    "anonymous": set(),
    "dinas": {"usulan_a_to_x", "usulan_y_to_c", "usulan_a_to_x_done"},
    "pokja_a": {"usulan_a_to_x", "usulan_a_to_x_done"},
    "member_a": {"usulan_a_to_x", "usulan_a_to_x_done"},
    "pokja_b": set(),
    "viewer_b": {"usulan_y_to_c"},
    "opd_x": {"usulan_a_to_x", "usulan_a_to_x_done"},
    "opd_y": {"usulan_y_to_c"},
}
# Who has a step to take now (the first two are "submitted"; nothing follows "carried
# out"): the addressee, or the Dinas.
USULAN_ANSWER = {
    "dinas": {"usulan_a_to_x", "usulan_y_to_c"},
    "opd_x": {"usulan_a_to_x"},
}
NOTIFICATION_RECIPIENT = {
    "note_dinas": "dinas",
    "note_pokja_a": "pokja_a",
    "note_viewer_b": "viewer_b",
    "note_opd_x": "opd_x",
}
# Imports: the uploader's own; the Dinas reads all but commits none of them.
IMPORTS_READ = {
    "dinas": {"batch_pokja_a", "batch_opd_y"},
    "pokja_a": {"batch_pokja_a"},
    "opd_y": {"batch_opd_y"},
}
IMPORTS_PENDING = {"pokja_a": {"batch_pokja_a"}, "opd_y": {"batch_opd_y"}}
# Background jobs (each finished, with a result file): the owner's; the Dinas reads all.
JOBS_READ = {
    "dinas": {"job_pokja_a", "job_opd_y"},
    "pokja_a": {"job_pokja_a"},
    "opd_y": {"job_opd_y"},
}
