"""The database connection dies in the middle of a multi-row save: nothing half-saved
remains, and the user sees the Indonesian error page.

Both saves write several rows in one request: the snapshot and its audit row
(django-simple-history), or the site and its audit row. The connection is killed just
before the audit row is written, after the first INSERT succeeded:

* on PostgreSQL for real, with ``pg_terminate_backend`` from a second connection (what a
  database restart or a network cut does to the server process);
* on SQLite, which has no server process to kill, the driver raises the error a lost
  connection raises (``OperationalError``) at the same point.
"""

import contextlib

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from kampungkb.masterdata import ensure_master_data
from villages.models import KampungKB, ProfileSnapshot

from . import factories as f

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@contextlib.contextmanager
def connection_killed_before(table):
    """Kill the connection when the next INSERT into ``table`` is about to run."""
    state = {"killed": 0}

    def wrapper(execute, sql, params, many, context):
        if not state["killed"] and sql.startswith(f'INSERT INTO "{table}"'):
            state["killed"] += 1
            if connection.vendor == "postgresql":
                import psycopg2

                pid = connection.connection.get_backend_pid()
                params_ = connection.get_connection_params()
                params_.pop("cursor_factory", None)
                params_.pop("context", None)
                killer = psycopg2.connect(**params_)
                killer.autocommit = True
                with killer.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                killer.close()
            else:
                raise OperationalError("the database connection was lost")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield state
    connection.close()  # the next query opens a fresh connection


@pytest.fixture
def world(db):
    ensure_master_data()  # a transactional test starts from what migrations loaded


def test_snapshot_and_its_audit_row_are_saved_together_or_not_at_all(world, client_for):
    site = f.KampungKBFactory()
    ketua = f.UserFactory(username="t_ketua")
    f.PokjaMemberFactory(site=site, user=ketua, position="ketua")
    client = client_for(ketua)
    client.raise_request_exception = False
    data = {
        "period": "2024-03",
        "pokja_exists": "on",
        "sk_number": "400/1/SK",
        "companion": "none",
        "members_count": "5",
        "trained_members_count": "1",
    }
    url = reverse("villages:profile-create", args=[site.pk])
    with connection_killed_before("villages_historicalprofilesnapshot") as state:
        response = client.get(url)
        assert response.status_code == 200  # the form opens; only the INSERT is sabotaged
        response = client.post(url, data)
    assert state["killed"] == 1
    assert response.status_code == 500
    body = response.content.decode()
    assert "Terjadi kesalahan" in body and "tidak ada data yang tersimpan" in body
    assert "Traceback" not in body
    assert not ProfileSnapshot.objects.exists()
    assert not ProfileSnapshot.history.exists()
    # The portal works again at once, and the same form saves both rows.
    response = client.post(url, data)
    assert response.status_code == 302
    assert ProfileSnapshot.objects.count() == 1
    assert ProfileSnapshot.history.count() == 1


def test_new_site_and_its_audit_row_are_saved_together_or_not_at_all(world, client_for):
    dinas = f.UserFactory(username="t_dinas2", groups=["dinas"])
    kelurahan = f.KelurahanFactory()
    client = client_for(dinas)
    client.raise_request_exception = False
    data = {
        "name": "Kampung KB Putus",
        "kelurahan": kelurahan.pk,
        "coverage": "kelurahan",
        "declared_on": "01/03/2019",
        "is_active": "on",
    }
    before = KampungKB.objects.count()
    with connection_killed_before("villages_historicalkampungkb") as state:
        response = client.post(reverse("villages:site-create"), data)
    assert state["killed"] == 1
    assert response.status_code == 500
    assert "Terjadi kesalahan" in response.content.decode()
    assert KampungKB.objects.count() == before
    assert not KampungKB.history.filter(name="Kampung KB Putus").exists()
