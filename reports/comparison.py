"""Side-by-side comparison of 2–6 sites or 2–7 kecamatan over a period.

Built from the monthly quality rows and the verified activities, read through the
user's scoped querysets, with a fixed number of grouped queries. The result is a list
of tables (title, header, rows): the page renders exactly these tables and the exports
write exactly these rows.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from activities.models import Activity, FamilyFunction, Poktan

from .charts import chart
from .models import QualityScore
from .quality import INDICATORS, QualityClass
from .sustainability import month_end, months

TWO = Decimal("0.01")


@dataclass
class Table:
    key: str
    title: str
    header: list
    rows: list
    numeric_from: int = 1  # columns from this index on are figures (right-aligned)


@dataclass
class Comparison:
    mode: str
    entities: list  # [(key, label, url)]
    start: datetime.date
    end: datetime.date
    tables: list[Table] = field(default_factory=list)
    charts: dict = field(default_factory=dict)
    has_data: bool = False

    def table(self, key):
        return next(t for t in self.tables if t.key == key)


def _avg(value, places=TWO):
    if value is None:
        return None
    return Decimal(value).quantize(places, ROUND_HALF_UP)


def build(user, mode, objects, start, end) -> Comparison:
    """``objects``: the chosen KampungKB (mode "kampung") or Kecamatan (mode "kecamatan")
    instances, already checked against the user's scope by the form."""
    by_site = mode == "kampung"
    key_field = "site_id" if by_site else "site__kelurahan__kecamatan_id"
    activity_key = "site_id" if by_site else "site__kelurahan__kecamatan_id"
    ids = [o.pk for o in objects]
    if by_site:
        entities = [(o.pk, o.name, reverse("villages:site-detail", args=[o.pk])) for o in objects]
        row_filter = Q(site_id__in=ids)
        activity_filter = Q(site_id__in=ids)
    else:
        entities = [(o.pk, o.name, None) for o in objects]
        row_filter = Q(site__kelurahan__kecamatan_id__in=ids, site__is_active=True)
        activity_filter = Q(site__kelurahan__kecamatan_id__in=ids, site__is_active=True)
    result = Comparison(mode, entities, start, end)
    keys = [e[0] for e in entities]
    labels = [e[1] for e in entities]

    rows = QualityScore.objects.visible_to(user).filter(
        row_filter, period__gte=start, period__lte=end
    )
    # 1. Month by month (class, indices, KB figures), averaged over a kecamatan's sites.
    history = defaultdict(dict)
    for r in (
        rows.values(key_field, "period")
        .annotate(
            klass=Avg("quality_class"),
            sites=Count("pk"),
            cpr=Avg("cpr_pct"),
        )
        .order_by()
    ):
        history[r[key_field]][r["period"]] = r
    result.has_data = bool(history)
    # 2. The last month of the period: every sub-score and figure.
    score_fields = [f"s_{i.key}" for i in INDICATORS]
    averages = {f: Avg(f) for f in score_fields}
    averages.update(
        klass=Avg("quality_class"),
        input=Avg("input_index"),
        process=Avg("process_index"),
        output=Avg("output_index"),
        participation=Avg("participation_pct"),
        cpr=Avg("cpr_pct"),
        long_acting=Avg("long_acting_pct"),
        unmet_need=Avg("unmet_need_pct"),
        sites=Count("pk"),
        fading=Count("pk", filter=Q(is_fading=True)),
        **{f"class_{c}": Count("pk", filter=Q(quality_class=c)) for c in QualityClass.values},
    )
    last = {
        r[key_field]: r
        for r in rows.filter(period=end).values(key_field).annotate(**averages).order_by()
    }
    # 3. Verified activities of the period: per family function, per poktan, per agency.
    activities = (
        Activity.objects.visible_to(user)
        .verified()
        .filter(activity_filter, date__gte=start, date__lte=month_end(end))
    )
    per_function = defaultdict(lambda: defaultdict(int))
    per_poktan = defaultdict(lambda: defaultdict(int))
    for key, category, poktan, n in (
        activities.values(activity_key, "category", "poktan")
        .annotate(n=Count("pk"))
        .values_list(activity_key, "category", "poktan", "n")
        .order_by()
    ):
        per_function[key][category] += n
        if poktan:
            per_poktan[key][poktan] += n
    through = Activity.agencies.through
    per_agency = defaultdict(lambda: defaultdict(int))
    agency_names = {}
    cross_sector = defaultdict(set)
    for key, opd_id, name, short, is_kb, n in (
        through.objects.filter(activity__in=activities)
        .values(
            f"activity__{activity_key}",
            "opd_id",
            "opd__name",
            "opd__short_name",
            "opd__is_kb_agency",
        )
        .annotate(n=Count("activity_id"))
        .values_list(
            f"activity__{activity_key}",
            "opd_id",
            "opd__name",
            "opd__short_name",
            "opd__is_kb_agency",
            "n",
        )
        .order_by()
    ):
        per_agency[opd_id][key] += n
        agency_names[opd_id] = short or name
        if not is_kb:
            cross_sector[key].add(opd_id)

    def fmt_class(value):
        if value is None:
            return None
        if by_site:
            return str(QualityClass(round(value)).label)
        return _avg(value)

    # --- tables ---------------------------------------------------------------------
    summary_rows = [
        [_("Class") if by_site else _("Average class (1 = Basic … 4 = Sustainable)")]
        + [fmt_class(last.get(k, {}).get("klass")) for k in keys],
    ]
    if not by_site:
        summary_rows.append([_("Sites compared")] + [last.get(k, {}).get("sites") for k in keys])
        for c in QualityClass:
            summary_rows.append(
                [_("Sites in class %(c)s") % {"c": c.label}]
                + [last.get(k, {}).get(f"class_{c.value}") for k in keys]
            )
    index_table_rows = [
        [label] + [_avg(last.get(k, {}).get(name)) for k in keys]
        for name, label in (
            ("input", _("Input index")),
            ("process", _("Process index")),
            ("output", _("Output index")),
        )
    ]
    summary_rows.extend(index_table_rows)
    for ind in INDICATORS:
        summary_rows.append(
            [_("Score: %(indicator)s") % {"indicator": ind.label}]
            + [_score(last.get(k, {}).get(f"s_{ind.key}"), by_site) for k in keys]
        )
    kb_rows = []
    for name, label in (
        ("participation", _("Poktan participation (%)")),
        ("cpr", _("CPR (%)")),
        ("long_acting", _("Long-acting methods (%)")),
        ("unmet_need", _("Unmet need (%)")),
    ):
        kb_rows.append([label] + [_pct(last.get(k, {}).get(name), by_site) for k in keys])
    summary_rows.extend(kb_rows)
    summary_rows.append(
        [_("Verified activities in the period")] + [sum(per_function[k].values()) for k in keys]
    )
    summary_rows.append(
        [_("Family functions covered")]
        + [len([c for c in per_function[k] if c != FamilyFunction.OTHER]) for k in keys]
    )
    summary_rows.append(
        [_("Cross-sector agencies involved")] + [len(cross_sector[k]) for k in keys]
    )
    summary_rows.append(
        [_("Fading sites") if not by_site else _("Fading")]
        + [
            (
                last.get(k, {}).get("fading")
                if not by_site
                else (_("yes") if last.get(k, {}).get("fading") else _("no"))
            )
            if k in last
            else None
            for k in keys
        ]
    )
    end_label = date_format(end, "F Y")
    result.tables.append(
        Table(
            "summary",
            _("Indices and sub-scores, %(month)s") % {"month": end_label},
            [_("Figure"), *labels],
            summary_rows,
        )
    )

    month_list = list(months(start, end))
    result.tables.append(
        Table(
            "history",
            _("Class month by month") if by_site else _("Average class month by month"),
            [_("Month"), *labels],
            [
                [m.strftime("%m/%Y")]
                + [fmt_class(history[k].get(m, {}).get("klass")) for k in keys]
                for m in month_list
            ],
        )
    )
    result.tables.append(
        Table(
            "cpr",
            _("CPR month by month (%)"),
            [_("Month"), *labels],
            [
                [m.strftime("%m/%Y")]
                + [_pct(history[k].get(m, {}).get("cpr"), by_site) for k in keys]
                for m in month_list
            ],
        )
    )
    result.tables.append(
        Table(
            "functions",
            _("Verified activities per family function"),
            [_("Family function"), *labels],
            [
                [str(label)] + [per_function[k].get(value, 0) for k in keys]
                for value, label in FamilyFunction.choices
            ]
            + [[_("Total")] + [sum(per_function[k].values()) for k in keys]],
        )
    )
    result.tables.append(
        Table(
            "poktan",
            _("Verified poktan meetings"),
            [_("Poktan"), *labels],
            [
                [str(label)] + [per_poktan[k].get(value, 0) for k in keys]
                for value, label in Poktan.choices
            ],
        )
    )
    agencies_sorted = sorted(
        per_agency, key=lambda a: (-sum(per_agency[a].values()), agency_names[a])
    )
    result.tables.append(
        Table(
            "agencies",
            _("Agencies involved (verified activities)"),
            [_("Agency / partner"), *labels],
            [[agency_names[a]] + [per_agency[a].get(k, 0) for k in keys] for a in agencies_sorted],
        )
    )

    # --- charts (from the same tables) ----------------------------------------------
    index_rows = index_table_rows
    result.charts["indices"] = chart(
        "bar",
        [r[0] for r in index_rows],
        [{"label": labels[i], "data": [r[i + 1] for r in index_rows]} for i in range(len(keys))],
        y_min=0,
        y_max=4,
    )
    hist = result.table("history")
    result.charts["history"] = chart(
        "line",
        [r[0] for r in hist.rows],
        [
            {
                "label": labels[i],
                "data": [
                    (round(history[keys[i]][m]["klass"], 2) if m in history[keys[i]] else None)
                    for m in month_list
                ],
            }
            for i in range(len(keys))
        ],
        y_min=1,
        y_max=4,
    )
    functions = result.table("functions")
    result.charts["functions"] = chart(
        "bar",
        [r[0] for r in functions.rows[:-1]],
        [
            {"label": labels[i], "data": [r[i + 1] for r in functions.rows[:-1]]}
            for i in range(len(keys))
        ],
    )
    result.charts["kb"] = chart(
        "bar",
        [r[0] for r in kb_rows],
        [{"label": labels[i], "data": [r[i + 1] for r in kb_rows]} for i in range(len(keys))],
        y_min=0,
    )
    return result


def _score(value, by_site):
    if value is None:
        return None
    return int(round(value)) if by_site else _avg(value)


def _pct(value, by_site):
    if value is None:
        return None
    return int(round(value)) if by_site else _avg(value, Decimal("0.1"))
