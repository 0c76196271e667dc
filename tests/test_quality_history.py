"""The monthly quality rows: what they hold, which months a change recomputes, the
cross-sector window, the report cadence and the fading rule (DESIGN §7–§8)."""

import datetime
import random

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reports import quality
from reports import sustainability as s
from reports.models import QualityScore
from reports.recompute import recompute, recompute_all

from . import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date


def rows(site):
    return {r.period: r for r in QualityScore.objects.filter(site=site)}


def verified(site, day, **kwargs):
    return f.ActivityFactory(
        site=site,
        date=day,
        status="verified",
        submitted_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(10))),
        verified_at=timezone.now(),
        **kwargs,
    )


# --------------------------------------------------------------------------------------
# What a row holds
# --------------------------------------------------------------------------------------
def test_a_row_scores_the_snapshots_current_in_its_month(site_a):
    f.ProfileSnapshotFactory(site=site_a, period=D(2024, 1, 1), fund_apbd=True)
    f.PopulationSnapshotFactory(site=site_a, period=D(2024, 1, 1))
    f.KKBPKSnapshotFactory(site=site_a, period=D(2024, 1, 1))
    f.ProfileSnapshotFactory(
        site=site_a, period=D(2024, 4, 1), fund_apbd=True, fund_apbn=True, fund_csr=True
    )
    recompute_all(last=D(2024, 6, 1))
    by_month = rows(site_a)
    assert sorted(by_month) == [D(2024, m, 1) for m in range(1, 7)]
    assert by_month[D(2024, 3, 1)].funding_count == 1
    assert by_month[D(2024, 3, 1)].s_funding == 2
    assert by_month[D(2024, 4, 1)].funding_count == 3
    assert by_month[D(2024, 4, 1)].s_funding == 3
    row = by_month[D(2024, 5, 1)]
    # The factory's figures: 600 KB users of 1000 PUS, 160 long-acting, 120 unmet need,
    # poktan 100/500, 80/600, 50/300, 40/2000, 60/1500 → mean 11.2 %.
    assert (row.cpr_pct, row.long_acting_pct, row.unmet_need_pct) == (60, 27, 12)
    assert row.participation_pct == 11
    assert (row.s_cpr, row.s_long_acting, row.s_unmet_need, row.s_participation) == (4, 4, 2, 2)
    assert row.profile_period == D(2024, 4, 1) and row.kkbpk_period == D(2024, 1, 1)
    snap = site_a.profile_snapshots.get(period=D(2024, 4, 1))
    pop = site_a.population_snapshots.get()
    kk = site_a.kkbpk_snapshots.get()
    # The same figures from the models' own helpers (an independent path).
    targets = [(getattr(kk, f"participants_{p}"), pop.target_for(p)) for p in quality.POKTAN_KEYS]
    expected = quality.score(
        quality.Figures(
            pokja_exists=snap.pokja_exists,
            pokja_members=snap.members_count,
            pokja_trained=snap.trained_members_count,
            funding_count=snap.count(snap.FUNDING_FIELDS),
            poktan_count=snap.count(snap.POKTAN_FIELDS),
            facility_count=snap.count(snap.FACILITY_FIELDS),
            has_plkb=snap.companion == "plkb",
            has_regulation=snap.count(snap.REGULATION_FIELDS) > 0,
            data_source_count=snap.count(snap.DATA_SOURCE_FIELDS),
            mechanism_count=snap.count(snap.MECHANISM_FIELDS),
            agency_count=0,
            participation_pct=quality.mean_percent(targets),
            cpr_pct=quality.percent(kk.kb_users, pop.pus),
            long_acting_pct=quality.percent(kk.long_acting_users, kk.kb_users),
            unmet_need_pct=quality.percent(kk.unmet_need, pop.pus),
        )
    )
    assert {i.key: row.score_of(i.key) for i in quality.INDICATORS} == expected.scores
    assert row.quality_class == expected.quality_class
    assert (row.input_index, row.process_index, row.output_index) == tuple(
        expected.indices[k] for k in quality.INDEX_KEYS
    )


def test_rows_start_at_the_first_reporting_month(site_a, settings):
    settings.REPORTING_SINCE = D(2024, 1, 1)
    site_a.declared_on = D(2024, 3, 20)
    site_a.save()
    recompute_all(last=D(2024, 5, 1))
    assert sorted(rows(site_a)) == [D(2024, 3, 1), D(2024, 4, 1), D(2024, 5, 1)]
    assert rows(site_a)[D(2024, 3, 1)].month_index == 0


def test_inactive_sites_get_no_new_rows_but_keep_their_history(site_a):
    recompute_all(last=D(2024, 2, 1))
    site_a.is_active = False
    site_a.save()
    recompute(D(2024, 3, 1), D(2024, 3, 1))
    assert sorted(rows(site_a)) == [D(2024, 1, 1), D(2024, 2, 1)]


# --------------------------------------------------------------------------------------
# Recomputed when the inputs change — only the months affected
# --------------------------------------------------------------------------------------
def test_changing_a_snapshot_recomputes_only_the_months_it_affects(
    site_a, site_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # committed earlier
        for month in (1, 6, 10):
            f.ProfileSnapshotFactory(site=site_a, period=D(2024, month, 1))
    recompute_all(last=D(2024, 12, 1))
    before = {p: r.pk for p, r in rows(site_a).items()}
    other_before = {p: r.pk for p, r in rows(site_b).items()}

    june = site_a.profile_snapshots.get(period=D(2024, 6, 1))
    june.fund_apbd = june.fund_apbn = june.fund_csr = True
    with django_capture_on_commit_callbacks(execute=True):
        june.save()

    after = rows(site_a)
    recomputed = sorted(p for p, r in after.items() if r.pk != before.get(p))
    # June up to September (October has its own profile); not the months before, not the
    # months of the next profile, not other sites, and not the rest of the history.
    assert recomputed == [D(2024, m, 1) for m in (6, 7, 8, 9)]
    assert {p: r.pk for p, r in rows(site_b).items()} == other_before
    assert after[D(2024, 7, 1)].funding_count == 3
    assert after[D(2024, 5, 1)].funding_count == 0
    assert after[D(2024, 10, 1)].funding_count == 0


def test_deleting_a_snapshot_recomputes_its_months(site_a, django_capture_on_commit_callbacks):
    f.ProfileSnapshotFactory(site=site_a, period=D(2024, 1, 1))
    march = f.ProfileSnapshotFactory(site=site_a, period=D(2024, 3, 1), fund_apbd=True)
    f.ProfileSnapshotFactory(site=site_a, period=D(2024, 5, 1))
    recompute_all(last=D(2024, 6, 1))
    assert rows(site_a)[D(2024, 4, 1)].funding_count == 1
    with django_capture_on_commit_callbacks(execute=True):
        march.delete()
    assert rows(site_a)[D(2024, 4, 1)].funding_count == 0
    assert rows(site_a)[D(2024, 3, 1)].profile_period == D(2024, 1, 1)


def test_verifying_an_activity_recomputes_from_its_month_on(
    site_a, django_capture_on_commit_callbacks
):
    recompute_all(last=D(2024, 8, 1))
    before = {p: r.pk for p, r in rows(site_a).items()}
    activity = f.ActivityFactory(site=site_a, date=D(2024, 5, 10), status="submitted")
    with django_capture_on_commit_callbacks(execute=True):
        activity.status = "verified"
        activity.save()
    after = rows(site_a)
    recomputed = sorted(p for p, r in after.items() if r.pk != before.get(p))
    current = timezone.localdate().replace(day=1)
    assert recomputed[0] == D(2024, 5, 1) and recomputed[-1] == current
    assert after[D(2024, 5, 1)].activity_count == 1
    assert after[D(2024, 4, 1)].activity_count == 0
    # Reopened (no longer verified): counted no more.
    with django_capture_on_commit_callbacks(execute=True):
        activity.status = "returned"
        activity.save()
    assert rows(site_a)[D(2024, 5, 1)].activity_count == 0


def test_a_rolled_back_change_leaves_no_recompute_behind(
    site_a, site_b, django_capture_on_commit_callbacks
):
    """A save that fails (the form's transaction is rolled back) must not make the next
    request recompute that site: the pending work went with the transaction."""
    recompute_all(last=D(2024, 8, 1))
    before_b = {p: r.pk for p, r in rows(site_b).items()}
    with pytest.raises(RuntimeError), transaction.atomic():
        f.ActivityFactory(site=site_b, date=D(2024, 2, 10), status="verified")
        raise RuntimeError("the request failed")
    activity = f.ActivityFactory(site=site_a, date=D(2024, 5, 10), status="submitted")
    with django_capture_on_commit_callbacks(execute=True):
        activity.status = "verified"
        activity.save()
    assert {p: r.pk for p, r in rows(site_b).items()} == before_b
    assert rows(site_a)[D(2024, 5, 1)].activity_count == 1


def test_agencies_added_to_a_verified_activity_recompute(
    site_a, django_capture_on_commit_callbacks
):
    activity = verified(site_a, D(2024, 5, 10))
    recompute_all(last=D(2024, 6, 1))
    assert rows(site_a)[D(2024, 5, 1)].agency_count == 0
    with django_capture_on_commit_callbacks(execute=True):
        activity.agencies.add(f.OPDFactory(), f.OPDFactory())
    assert rows(site_a)[D(2024, 5, 1)].agency_count == 2
    assert rows(site_a)[D(2024, 5, 1)].month_agency_count == 2


def test_a_rolled_back_change_recomputes_nothing_later(site_a, django_capture_on_commit_callbacks):
    recompute_all(last=D(2024, 3, 1))
    before = {p: r.pk for p, r in rows(site_a).items()}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                f.ProfileSnapshotFactory(site=site_a, period=D(2024, 2, 1))
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks == []
    assert {p: r.pk for p, r in rows(site_a).items()} == before


# --------------------------------------------------------------------------------------
# Cross-sector: distinct non-KB agencies over the 12 months ending with the month
# --------------------------------------------------------------------------------------
def test_cross_sector_counts_distinct_agencies_in_a_rolling_year(site_a):
    kb = f.OPDFactory(is_kb_agency=True)
    partners = [f.OPDFactory() for _ in range(5)]
    verified(site_a, D(2024, 2, 5), agencies=[kb, *partners[:3]])
    verified(site_a, D(2024, 3, 5), agencies=[partners[0], partners[3]])
    verified(site_a, D(2024, 3, 20), agencies=[partners[4]], category="lainnya")
    f.ActivityFactory(
        site=site_a, date=D(2024, 3, 6), status="submitted", agencies=[f.OPDFactory()]
    )
    recompute_all(last=D(2025, 4, 1))
    by_month = rows(site_a)
    assert by_month[D(2024, 1, 1)].agency_count == 0
    assert by_month[D(2024, 2, 1)].agency_count == 3  # the KB agency does not count
    assert by_month[D(2024, 3, 1)].agency_count == 5
    assert by_month[D(2024, 3, 1)].month_agency_count == 3
    assert by_month[D(2024, 3, 1)].activity_count == 2
    assert by_month[D(2024, 3, 1)].function_count == 1  # "lainnya" is no family function
    assert by_month[D(2025, 1, 1)].agency_count == 5  # 2024-02 .. 2025-01
    assert by_month[D(2025, 2, 1)].agency_count == 3  # February 2024 has left the window
    assert by_month[D(2025, 3, 1)].agency_count == 0


# --------------------------------------------------------------------------------------
# Both gathering paths (one month for all sites / a range for some) agree
# --------------------------------------------------------------------------------------
def test_month_by_month_and_range_recomputes_give_the_same_rows(kec_a):
    rng = random.Random(4)
    agencies = [f.OPDFactory(is_kb_agency=i == 0) for i in range(9)]
    sites = [
        f.KampungKBFactory(kelurahan__kecamatan=kec_a, declared_on=D(2023, rng.randint(1, 12), 1))
        for _ in range(3)
    ] + [f.KampungKBFactory(kelurahan__kecamatan=kec_a, declared_on=D(2024, 7, 9))]
    for site in sites:
        for month in range(1, 19, rng.randint(2, 5)):
            period = s.add_months(D(2024, 1, 1), month - 1)
            if period < site.declared_on.replace(day=1):
                continue
            f.ProfileSnapshotFactory(
                site=site,
                period=period,
                members_count=rng.randint(0, 20),
                trained_members_count=0,
                **{
                    name: rng.random() < 0.5
                    for name in (
                        "fund_apbd",
                        "fund_apbn",
                        "fund_csr",
                        "has_bkb",
                        "has_pikr",
                        "has_sekretariat",
                        "ds_sectoral",
                        "has_sk_lurah",
                    )
                },
            )
            f.PopulationSnapshotFactory(site=site, period=period, pus=rng.randint(900, 1100))
        f.KKBPKSnapshotFactory(
            site=site, period=max(D(2024, 1, 1), site.declared_on.replace(day=1))
        )
        for _ in range(25):
            day = D(2024, 1, 1) + datetime.timedelta(days=rng.randint(0, 600))
            if day < site.declared_on:
                continue
            f.ActivityFactory(
                site=site,
                date=day,
                status=rng.choice(["verified", "verified", "submitted", "draft"]),
                category=rng.choice(["reproduksi", "ekonomi", "lainnya", "keagamaan"]),
                submitted_at=timezone.make_aware(
                    datetime.datetime.combine(
                        day + datetime.timedelta(days=rng.randint(0, 9)), datetime.time(9)
                    )
                ),
                agencies=rng.sample(agencies, rng.randint(0, 3)),
            )
    last = D(2025, 9, 1)

    def snapshot():
        fields = [f_.attname for f_ in QualityScore._meta.concrete_fields]
        fields = [name for name in fields if name not in ("id", "computed_at")]
        return {(r["site_id"], r["period"]): r for r in QualityScore.objects.values(*fields)}

    recompute_all(last=last)
    month_by_month = snapshot()
    QualityScore.objects.all().delete()
    recompute(D(2024, 1, 1), last, site_ids=[x.pk for x in sites])
    ranged = snapshot()
    assert ranged == month_by_month
    assert len(ranged) > 60
    # And a single month continues from the previous month's row.
    recompute(D(2025, 5, 1), D(2025, 5, 1))
    assert snapshot() == month_by_month


def test_a_month_without_the_previous_row_rebuilds_that_sites_history(site_a):
    verified(site_a, D(2024, 2, 1))
    recompute(D(2024, 6, 1), D(2024, 6, 1))
    assert sorted(rows(site_a)) == [D(2024, m, 1) for m in range(1, 7)]
    assert rows(site_a)[D(2024, 6, 1)].active_mask == 0b10000  # February, four months back


# --------------------------------------------------------------------------------------
# Report cadence
# --------------------------------------------------------------------------------------
JKT = datetime.timezone(datetime.timedelta(hours=7))


@pytest.mark.parametrize(
    "submitted, today, expected",
    [
        (datetime.datetime(2025, 3, 3, 23, 59, tzinfo=JKT), None, "on_time"),
        (datetime.datetime(2025, 3, 4, 0, 1, tzinfo=JKT), None, "late"),
        # 3 March 23:30 WIB is still 3 March in Jakarta although it is 16:30 UTC.
        (datetime.datetime(2025, 3, 3, 16, 30, tzinfo=datetime.UTC), None, "on_time"),
        (datetime.datetime(2025, 3, 3, 17, 30, tzinfo=datetime.UTC), None, "late"),
        (datetime.datetime(2025, 2, 10, 9, 0, tzinfo=JKT), None, "on_time"),
        (None, D(2025, 3, 3), "not_due"),
        (None, D(2025, 3, 4), "missing"),
    ],
)
def test_report_status(submitted, today, expected):
    assert s.report_status(D(2025, 2, 1), submitted, today) == expected


def test_last_due_month():
    assert s.last_due_month(D(2025, 3, 3)) == D(2025, 1, 1)
    assert s.last_due_month(D(2025, 3, 4)) == D(2025, 2, 1)
    assert s.last_due_month(D(2025, 1, 10)) == D(2024, 12, 1)


def test_first_reporting_month(settings):
    settings.REPORTING_SINCE = D(2024, 1, 1)
    assert s.first_reporting_month(D(2017, 5, 20)) == D(2024, 1, 1)
    assert s.first_reporting_month(D(2025, 5, 20)) == D(2025, 5, 1)


def test_row_keeps_the_first_submission_of_the_month(site_a):
    f.ActivityFactory(
        site=site_a,
        date=D(2024, 2, 12),
        status="submitted",
        submitted_at=datetime.datetime(2024, 3, 5, 9, tzinfo=JKT),
    )
    f.ActivityFactory(
        site=site_a,
        date=D(2024, 2, 20),
        status="returned",
        submitted_at=datetime.datetime(2024, 3, 2, 9, tzinfo=JKT),
    )
    f.ActivityFactory(site=site_a, date=D(2024, 2, 21), status="draft")
    recompute_all(last=D(2024, 3, 1))
    row = rows(site_a)[D(2024, 2, 1)]
    assert row.report_submitted_at == datetime.datetime(2024, 3, 2, 9, tzinfo=JKT)
    assert s.report_status(row.period, row.report_submitted_at) == "on_time"
    assert row.activity_count == 0  # nothing verified yet
    assert rows(site_a)[D(2024, 1, 1)].report_submitted_at is None


def test_a_submission_after_the_months_report_is_in_recomputes_nothing(
    site_a, django_capture_on_commit_callbacks
):
    recompute_all(last=D(2024, 8, 1))

    def submit(day, at):
        activity = f.ActivityFactory(site=site_a, date=day, status="draft")
        with django_capture_on_commit_callbacks(execute=True):
            activity.status = "submitted"
            activity.submitted_at = activity.first_submitted_at = at
            activity.save()

    def pks():
        return {p: r.pk for p, r in rows(site_a).items()}

    before = pks()
    submit(D(2024, 5, 10), datetime.datetime(2024, 6, 2, 9, tzinfo=JKT))
    # The month's first submission: its row is recomputed with the report time.
    assert pks()[D(2024, 5, 1)] != before[D(2024, 5, 1)]
    assert rows(site_a)[D(2024, 5, 1)].report_submitted_at == datetime.datetime(
        2024, 6, 2, 9, tzinfo=JKT
    )
    before = pks()
    submit(D(2024, 5, 20), datetime.datetime(2024, 6, 9, 9, tzinfo=JKT))
    # A later one: the report was already in, no row changes (none rewritten).
    assert pks() == before
    assert rows(site_a)[D(2024, 5, 1)].report_submitted_at == datetime.datetime(
        2024, 6, 2, 9, tzinfo=JKT
    )
    # Another month without a report yet: recomputed.
    submit(D(2024, 6, 3), datetime.datetime(2024, 6, 9, 10, tzinfo=JKT))
    assert rows(site_a)[D(2024, 6, 1)].report_submitted_at is not None


# --------------------------------------------------------------------------------------
# Fading (DESIGN §8)
# --------------------------------------------------------------------------------------
def test_fading_rule_pure():
    full_year = 12
    assert not s.is_fading(11, full_year, 0)  # still in its first year
    assert s.is_fading(12, full_year, 0)
    assert s.is_fading(20, 7, 0b000011000)  # 2 of the last 6, active 3-4 months ago
    assert not s.is_fading(20, 6, 0)  # not active in most of its first year
    assert not s.is_fading(20, 7, 0b000111)  # 3 of 6 and active lately
    assert s.is_fading(20, 7, 0b111000)  # 3 of 6 but none of the last 3
    assert not s.is_fading(20, 7, 0b101010)  # half of the last 6, one of the last 3
    assert s.is_fading(20, 7, 0b100100)  # 2 of 6


def test_mask_and_first_year_count():
    mask, fya = 0, 0
    for index in range(14):
        mask = s.next_mask(mask, index % 2 == 0, index)
        fya = s.first_year_active(fya, mask, index)
    assert fya == 6  # months 0, 2, 4, 6, 8, 10 of the first year
    assert mask == 0b101010101010 & s.MASK_ALL
    assert s.next_mask(0b1, True, 0) == 0b1  # nothing before the first month


def activity_months(site, month_list):
    for month in month_list:
        verified(site, month.replace(day=15))


def fading_by_month(site):
    return {p: r.is_fading for p, r in rows(site).items()}


def first_year(start=None):
    start = start or D(2024, 1, 1)
    return [s.add_months(start, i) for i in range(12)]


def test_new_site_is_not_fading(kec_a):
    site = f.KampungKBFactory(kelurahan__kecamatan=kec_a, declared_on=D(2025, 1, 10))
    recompute_all(last=D(2025, 12, 1))
    assert not any(fading_by_month(site).values())  # no activity at all, but new


def test_steady_site_is_not_fading(kec_a):
    site = f.KampungKBFactory(kelurahan__kecamatan=kec_a, declared_on=D(2023, 5, 1))
    activity_months(site, list(s.months(D(2024, 1, 1), D(2025, 12, 1))))
    recompute_all(last=D(2025, 12, 1))
    assert not any(fading_by_month(site).values())
    assert rows(site)[D(2025, 12, 1)].first_year_active_months == 12


def test_faded_site_is_fading(kec_a):
    site = f.KampungKBFactory(kelurahan__kecamatan=kec_a, declared_on=D(2023, 5, 1))
    activity_months(site, first_year())
    recompute_all(last=D(2025, 6, 1))
    fading = fading_by_month(site)
    assert not fading[D(2025, 1, 1)] and not fading[D(2025, 2, 1)]
    assert fading[D(2025, 3, 1)]  # none in the last three months
    assert all(fading[s.add_months(D(2025, 3, 1), i)] for i in range(4))


def test_reactivated_site_is_no_longer_fading(kec_a):
    site = f.KampungKBFactory(kelurahan__kecamatan=kec_a, declared_on=D(2023, 5, 1))
    activity_months(site, first_year() + [D(2025, 6, 1), D(2025, 7, 1), D(2025, 8, 1)])
    recompute_all(last=D(2025, 9, 1))
    fading = fading_by_month(site)
    assert fading[D(2025, 5, 1)]
    assert fading[D(2025, 6, 1)]  # one of the last six, one of the last three
    assert fading[D(2025, 7, 1)]  # two of the last six
    assert not fading[D(2025, 8, 1)]  # three of six: half is no longer "fewer than half"
    assert not fading[D(2025, 9, 1)]


def test_weak_start_is_not_called_fading(kec_a):
    site = f.KampungKBFactory(kelurahan__kecamatan=kec_a, declared_on=D(2023, 5, 1))
    activity_months(site, first_year()[:6])
    recompute_all(last=D(2025, 6, 1))
    assert not any(fading_by_month(site).values())
    assert rows(site)[D(2025, 6, 1)].first_year_active_months == 6


# --------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------
def test_recompute_quality_command(site_a, site_b, capsys):
    call_command("recompute_quality", "--month", "2024-03", "--site", str(site_a.pk))
    assert "quality rows recomputed" in capsys.readouterr().out
    assert set(QualityScore.objects.values_list("site_id", flat=True)) == {site_a.pk}
    call_command("recompute_quality")
    current = timezone.localdate().replace(day=1)
    assert QualityScore.objects.filter(site=site_b, period=current).exists()


def test_recompute_quality_refreshes_statistics_only_for_a_new_month(site_a, site_b, capsys):
    """ANALYZE (PostgreSQL) when the month had no rows yet, not on the daily recompute of
    a month the planner already knows: on a big uncached table it costs more than the
    recompute itself."""

    def analyzed(queries):
        return any(q["sql"].upper().startswith("ANALYZE") for q in queries.captured_queries)

    with CaptureQueriesContext(connection) as new_month:
        call_command("recompute_quality", "--month", "2024-03")
    with CaptureQueriesContext(connection) as same_month:
        call_command("recompute_quality", "--month", "2024-03")
    assert analyzed(new_month) == (connection.vendor == "postgresql")
    assert not analyzed(same_month)
    assert QualityScore.objects.filter(period=datetime.date(2024, 3, 1)).count() == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["--month", "2024-13"], "2025-03"),
        (["--month", "maret"], "2025-03"),
        (["--month", "2999-01"], "future"),
        (["--site", "999999"], "Unknown site"),
    ],
)
def test_recompute_quality_command_rejects_bad_input(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("recompute_quality", *args)
