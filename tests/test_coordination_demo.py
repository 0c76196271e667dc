import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from activities.models import OPD, Activity, OPDProgram, Usulan, UsulanTransition
from kampungkb.models import Notification
from kampungkb.scopes import get_scope

pytestmark = pytest.mark.django_db


def counts():
    return (
        Usulan.objects.count(),
        UsulanTransition.objects.count(),
        OPDProgram.objects.count(),
        Activity.objects.filter(recorded_by_opd__isnull=False).count(),
        Notification.objects.count(),
        OPD.coordinators.through.objects.count(),
    )


def test_coordination_demo_is_idempotent_and_complete(capsys):
    call_command("seed_demo")
    first = counts()
    assert "Coordinator logins" in capsys.readouterr().out
    call_command("seed_demo")
    assert counts() == first

    # Usulan in every status, both ways, and one overdue.
    combos = set(Usulan.objects.values_list("direction", "status"))
    assert combos == {(d, s) for d in Usulan.Direction.values for s in Usulan.Status.values}
    assert Usulan.objects.overdue().exists()
    for usulan in Usulan.objects.all():
        usulan.full_clean()
        trail = list(usulan.transitions.values_list("to_status", flat=True))
        assert trail[0] == "submitted" and trail[-1] == usulan.status
    # Several agencies with coordinators, programs at several sites.
    assert OPD.objects.filter(coordinators__isnull=False).distinct().count() >= 4
    assert OPDProgram.objects.values("sites").distinct().count() >= 6
    for activity in Activity.objects.filter(recorded_by_opd__isnull=False):
        activity.full_clean()
        assert activity.recorded_by_opd in activity.agencies.all()


def test_demo_opd_coordinates_the_health_office(rf):
    call_command("seed_demo")
    request = rf.post("/masuk/")  # login throttling (django-axes) needs the request
    opd = authenticate(request, username="opd", password="kampungkb-demo")
    assert get_scope(opd).opd_ids == {OPD.objects.get(short_name="Dinkes").pk}
    assert opd.is_staff
    # Something waits for the health office, one of it overdue.
    waiting = Usulan.objects.addressed_to(opd).open()
    assert waiting.exists() and waiting.overdue().exists()
    for username in ("dinsos", "dindikbud", "dlh"):
        user = authenticate(request, username=username, password="kampungkb-demo")
        assert get_scope(user).is_opd
