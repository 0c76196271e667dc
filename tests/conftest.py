"""Shared fixtures: the role cast every access test runs against.

* ``site_a`` and ``site_b`` are in the same kecamatan (``kec_a``); ``site_c`` in ``kec_b``.
* ``pokja_a``: ketua of site A (manages it); ``member_a``: plain member of site A;
  ``pokja_b``: ketua of site B; ``viewer_b``: camat of kecamatan B (another kecamatan);
  ``opd_x`` / ``opd_y``: coordinators of two agencies; ``dinas``: DPMP3AKB staff.
"""

import pytest
from django.core.cache import cache
from django.test import Client

from kampungkb.management.commands.compiletranslations import compile_catalogs
from kampungkb.scopes import DINAS_GROUP, OPD_GROUP, VIEWER_GROUP

from . import factories as f


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    compile_catalogs(verbosity=0)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private_media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Cached panels (reports/site_panels.py) must not outlive the test that made them:
    # SQLite reuses ids after a rollback.
    cache.clear()


@pytest.fixture
def kec_a(db):
    return f.KecamatanFactory(name="Kecamatan A")


@pytest.fixture
def kec_b(db):
    return f.KecamatanFactory(name="Kecamatan B")


@pytest.fixture
def site_a(kec_a):
    return f.KampungKBFactory(name="Kampung KB A", kelurahan__kecamatan=kec_a)


@pytest.fixture
def site_b(kec_a):
    return f.KampungKBFactory(name="Kampung KB B", kelurahan__kecamatan=kec_a)


@pytest.fixture
def site_c(kec_b):
    return f.KampungKBFactory(name="Kampung KB C", kelurahan__kecamatan=kec_b)


@pytest.fixture
def site_inactive(kec_a):
    """A site that was closed: not public, not in the landing page counts."""
    return f.KampungKBFactory(
        name="Kampung KB Nonaktif", kelurahan__kecamatan=kec_a, is_active=False
    )


@pytest.fixture
def dinas(db):
    return f.UserFactory(username="t_dinas", groups=[DINAS_GROUP], is_staff=True)


@pytest.fixture
def pokja_a(site_a):
    user = f.UserFactory(username="t_pokja_a")
    f.PokjaMemberFactory(site=site_a, user=user, position="ketua")
    return user


@pytest.fixture
def member_a(site_a):
    user = f.UserFactory(username="t_member_a")
    f.PokjaMemberFactory(site=site_a, user=user, position="seksi_ekonomi")
    return user


@pytest.fixture
def pokja_b(site_b):
    user = f.UserFactory(username="t_pokja_b")
    f.PokjaMemberFactory(site=site_b, user=user, position="ketua")
    return user


@pytest.fixture
def viewer_b(kec_b):
    user = f.UserFactory(username="t_viewer_b", groups=[VIEWER_GROUP])
    f.AreaAssignmentFactory(user=user, kecamatan=kec_b)
    return user


@pytest.fixture
def opd_x_agency(db):
    return f.OPDFactory(name="Dinas X", short_name="DX")


@pytest.fixture
def opd_y_agency(db):
    return f.OPDFactory(name="Dinas Y", short_name="DY")


@pytest.fixture
def opd_x(opd_x_agency):
    user = f.UserFactory(username="t_opd_x", groups=[OPD_GROUP], is_staff=True)
    opd_x_agency.coordinators.add(user)
    return user


@pytest.fixture
def opd_y(opd_y_agency):
    user = f.UserFactory(username="t_opd_y", groups=[OPD_GROUP], is_staff=True)
    opd_y_agency.coordinators.add(user)
    return user


@pytest.fixture
def cast(dinas, pokja_a, member_a, pokja_b, viewer_b, opd_x, opd_y, site_c):
    """Every role, keyed by name (``None`` = anonymous)."""
    return {
        "anonymous": None,
        "dinas": dinas,
        "pokja_a": pokja_a,
        "member_a": member_a,
        "pokja_b": pokja_b,
        "viewer_b": viewer_b,
        "opd_x": opd_x,
        "opd_y": opd_y,
    }


@pytest.fixture
def client_for():
    """``client_for(user)``: a test client logged in as ``user`` (anonymous for None)."""

    def make(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make
