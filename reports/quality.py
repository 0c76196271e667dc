"""BKKBN's Kampung KB quality classification (DESIGN §7), as pure functions.

Twelve indicators are each scored 1–4 from a site's figures; three indices (input,
process, output) are their plain averages rounded to two decimals; an index is *high*
at ≥ 3; the class follows from which indices are high. Nothing here touches the
database: :mod:`reports.recompute` gathers the figures for every site of a month with a
few set-based queries and calls :func:`score` for each, so the banding is defined once.

Percentages are rounded to whole numbers *half up* before banding (20.5 % → 21 %):
Python's ``round()`` rounds half to even (``round(20.5) == 20``), which would put a site
on the lower band at exact halves, so integer arithmetic is used instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import combinations

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

HIGH = Decimal("3")
TWO_PLACES = Decimal("0.01")


class QualityClass(models.IntegerChoices):
    """Ranked: a higher value is a better class."""

    BASIC = 1, gettext_lazy("Basic")
    DEVELOPING = 2, gettext_lazy("Developing")
    SELF_RELIANT = 3, gettext_lazy("Self-reliant")
    SUSTAINABLE = 4, gettext_lazy("Sustainable")


INPUT, PROCESS, OUTPUT = "input", "process", "output"
INDEX_LABELS = {
    INPUT: gettext_lazy("Input index"),
    PROCESS: gettext_lazy("Process index"),
    OUTPUT: gettext_lazy("Output index"),
}


# --------------------------------------------------------------------------------------
# Arithmetic
# --------------------------------------------------------------------------------------
def percent(numerator: int | None, denominator: int | None) -> int | None:
    """``numerator / denominator`` as a whole percentage, rounded half up; ``None`` when
    there is nothing to divide by (no data)."""
    if numerator is None or not denominator:
        return None
    return (200 * numerator + denominator) // (2 * denominator)


def mean_percent(pairs: Iterable[tuple[int, int]]) -> int | None:
    """Mean of ``part / whole`` over the pairs whose whole is > 0, as a whole percentage
    rounded half up. Exact: the ratios are summed over their common denominator with
    Python's unbounded integers (floats give 10.4999… for some means of 10.5 %). ``None``
    when no pair has a whole (no target group recorded)."""
    pairs = [(part, whole) for part, whole in pairs if whole]
    if not pairs:
        return None
    numerator, denominator = 0, 1
    for part, whole in pairs:
        numerator = numerator * whole + part * denominator
        denominator *= whole
    n = len(pairs)
    # floor(100 * numerator / (n * denominator) + 1/2)
    return (200 * numerator + n * denominator) // (2 * n * denominator)


def index_value(scores: Iterable[int]) -> Decimal:
    scores = list(scores)
    return _index_value(sum(scores), len(scores))


@functools.cache
def _index_value(total: int, count: int) -> Decimal:
    return (Decimal(total) / Decimal(count)).quantize(TWO_PLACES, ROUND_HALF_UP)


def is_high(index: Decimal) -> bool:
    return index >= HIGH


def classify(input_high: bool, process_high: bool, output_high: bool) -> QualityClass:
    """DESIGN §7: Berkelanjutan all three high; Mandiri output high and exactly one of
    input/process high; Berkembang input and process high, output not; Dasar otherwise."""
    if input_high and process_high and output_high:
        return QualityClass.SUSTAINABLE
    if output_high and (input_high != process_high):
        return QualityClass.SELF_RELIANT
    if input_high and process_high:
        return QualityClass.DEVELOPING
    return QualityClass.BASIC


# --------------------------------------------------------------------------------------
# Bands, one function per indicator (exactly the table of DESIGN §7)
# --------------------------------------------------------------------------------------
def band_pokja(exists: bool, members: int, trained: int) -> int:
    if not exists:
        return 1
    if members > 0 and trained > 0:
        return 4
    if members > 0 or trained > 0:
        return 3
    return 2


def band_funding(count: int) -> int:  # of 6 sources
    return 1 if count <= 0 else 2 if count == 1 else 3 if count <= 4 else 4


def band_poktan(count: int) -> int:  # of BKB, BKR, BKL, UPPKA, PIK-R
    return 1 if count <= 0 else 2 if count <= 2 else 3 if count <= 4 else 4


def band_facilities(count: int) -> int:  # Sekretariat, Rumah DataKu; at most 3
    return 1 if count <= 0 else 2 if count == 1 else 3


def band_companion_regulation(has_plkb: bool, has_regulation: bool) -> int:  # at most 3
    return 1 + int(bool(has_plkb)) + int(bool(has_regulation))


def band_data_sources(count: int) -> int:  # of 5
    return 1 if count <= 0 else 2 if count == 1 else 3 if count <= 3 else 4


def band_mechanisms(count: int) -> int:  # of 5 done
    return 1 if count <= 0 else 2 if count <= 2 else 3 if count <= 4 else 4


def band_cross_sector(agencies: int) -> int:
    return 1 if agencies <= 0 else 2 if agencies <= 3 else 3 if agencies <= 6 else 4


def band_participation(pct: int | None) -> int:
    if pct is None or pct < 10:
        return 1
    return 2 if pct <= 20 else 3 if pct <= 30 else 4


def band_cpr(pct: int | None) -> int:
    if pct is None or pct < 30:
        return 1
    return 2 if pct <= 40 else 3 if pct <= 50 else 4


def band_long_acting(pct: int | None) -> int:
    if pct is None or pct < 20:
        return 1
    return 2 if pct <= 22 else 3 if pct <= 24 else 4


def band_unmet_need(pct: int | None) -> int:
    """Lower is better; no data scores 1 like every output indicator."""
    if pct is None or pct >= 13:
        return 1
    return 2 if pct >= 10 else 3 if pct >= 7 else 4


# --------------------------------------------------------------------------------------
# The figures of one site in one month, and their scores
# --------------------------------------------------------------------------------------
POKTAN_KEYS = ("bkb", "bkr", "bkl", "uppka", "pikr")
KB_METHOD_FIELDS = (
    "kb_iud",
    "kb_mow",
    "kb_mop",
    "kb_condom",
    "kb_implant",
    "kb_injection",
    "kb_pill",
)


@dataclass(slots=True)
class Figures:
    """What the classification reads, from the snapshots current in the month and the
    verified activities (``agency_count``: distinct non-KB agencies in the 12 months
    ending with the month). Output figures are ``None`` when not recorded."""

    pokja_exists: bool = False
    pokja_members: int = 0
    pokja_trained: int = 0
    funding_count: int = 0
    poktan_count: int = 0
    facility_count: int = 0
    has_plkb: bool = False
    has_regulation: bool = False
    data_source_count: int = 0
    mechanism_count: int = 0
    agency_count: int = 0
    participation_pct: int | None = None
    cpr_pct: int | None = None
    long_acting_pct: int | None = None
    unmet_need_pct: int | None = None


def output_percentages(population: dict | None, kkbpk: dict | None) -> dict:
    """The four output percentages from a population and a KKBPK snapshot (as dicts of
    their fields, or ``None`` when the site has none current). PUS comes from the
    population snapshot; poktan targets as DESIGN §7 (BKB → families with toddlers, BKR →
    families with adolescents, BKL → families with elderly, UPPKA → all families, PIK-R →
    adolescents); a poktan whose target group is 0 is left out of the mean."""
    if not population or not kkbpk:
        return {
            "participation_pct": None,
            "cpr_pct": None,
            "long_acting_pct": None,
            "unmet_need_pct": None,
        }
    targets = {
        "bkb": population["families_with_toddlers"],
        "bkr": population["families_with_adolescents"],
        "bkl": population["families_with_elderly"],
        "uppka": population["families"],
        "pikr": population["adolescents"],
    }
    users = sum(kkbpk[f] for f in KB_METHOD_FIELDS)
    long_acting = kkbpk["kb_iud"] + kkbpk["kb_mow"] + kkbpk["kb_mop"] + kkbpk["kb_implant"]
    unmet = kkbpk["nonuser_want_child_later"] + kkbpk["nonuser_want_no_more"]
    pus = population["pus"]
    return {
        "participation_pct": mean_percent(
            (kkbpk[f"participants_{k}"], targets[k]) for k in POKTAN_KEYS
        ),
        "cpr_pct": percent(users, pus),
        "long_acting_pct": percent(long_acting, users),
        "unmet_need_pct": percent(unmet, pus),
    }


@dataclass(frozen=True)
class Indicator:
    key: str
    index: str
    label: object  # lazy string
    max_score: int
    band: Callable[[Figures], int]
    describe: Callable[[Figures], str]
    advise: Callable[[Figures, int], str]


def _pct(value):
    return _("no data") if value is None else f"{value}%"


def _more(count, thresholds, total, phrase):
    """'Add 2 more funding sources (to 4 of 6).': the fewest additions to reach the next
    band; ``phrase(n)`` words the addition (ngettext needs literal msgids at the call)."""
    target = next(t for t in thresholds if t > count)
    return _("Add %(what)s (to %(target)d of %(total)d).") % {
        "what": phrase(target - count),
        "target": target,
        "total": total,
    }


def _more_agencies(n):
    return ngettext("%(n)d more agency", "%(n)d more agencies", n) % {"n": n}


def _advise_pokja(f, score):
    if score == 1:
        return _("Form a Pokja (with an SK) and record it in the profile.")
    if score == 2:
        return _("Record the number of Pokja members in the profile.")
    return _("Have at least one Pokja member trained and record it in the profile.")


def _advise_companion(f, score):
    steps = []
    if not f.has_plkb:
        steps.append(_("have a PLKB/PKB assigned as the site's companion"))
    if not f.has_regulation:
        steps.append(_("obtain a regulation (SK of the lurah, camat or walikota)"))
    return _("To do: %(steps)s.") % {"steps": _(" and ").join(steps)}


def _advise_min_pct(thresholds, what):
    def advise(f, score):
        if getattr(f, what) is None:
            return _("Record the population data (PUS, families) and the KKBPK figures.")
        target = thresholds[score - 1]
        return _("Raise it from %(now)d%% to at least %(target)d%%.") % {
            "now": getattr(f, what),
            "target": target,
        }

    return advise


def _advise_unmet(f, score):
    if f.unmet_need_pct is None:
        return _("Record the population data (PUS, families) and the KKBPK figures.")
    target = {1: 12, 2: 9, 3: 6}[score]
    return _("Lower it from %(now)d%% to %(target)d%% or less.") % {
        "now": f.unmet_need_pct,
        "target": target,
    }


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "pokja",
        INPUT,
        gettext_lazy("Pokja"),
        4,
        lambda f: band_pokja(f.pokja_exists, f.pokja_members, f.pokja_trained),
        lambda f: (
            _("%(members)d members, %(trained)d trained")
            % {"members": f.pokja_members, "trained": f.pokja_trained}
            if f.pokja_exists
            else _("no Pokja")
        ),
        _advise_pokja,
    ),
    Indicator(
        "funding",
        INPUT,
        gettext_lazy("Funding sources"),
        4,
        lambda f: band_funding(f.funding_count),
        lambda f: _("%(n)d of 6") % {"n": f.funding_count},
        lambda f, s: _more(
            f.funding_count,
            (1, 2, 5),
            6,
            lambda n: ngettext("%(n)d funding source", "%(n)d funding sources", n) % {"n": n},
        ),
    ),
    Indicator(
        "poktan",
        INPUT,
        gettext_lazy("Poktan owned"),
        4,
        lambda f: band_poktan(f.poktan_count),
        lambda f: _("%(n)d of 5") % {"n": f.poktan_count},
        lambda f, s: _more(
            f.poktan_count,
            (1, 3, 5),
            5,
            lambda n: ngettext("%(n)d poktan", "%(n)d poktan groups", n) % {"n": n},
        ),
    ),
    Indicator(
        "facilities",
        INPUT,
        gettext_lazy("Facilities (secretariat, Rumah DataKu)"),
        3,
        lambda f: band_facilities(f.facility_count),
        lambda f: _("%(n)d of 2") % {"n": f.facility_count},
        lambda f, s: _more(
            f.facility_count,
            (1, 2),
            2,
            lambda n: ngettext("%(n)d facility", "%(n)d facilities", n) % {"n": n},
        ),
    ),
    Indicator(
        "companion",
        INPUT,
        gettext_lazy("PLKB companion and regulation"),
        3,
        lambda f: band_companion_regulation(f.has_plkb, f.has_regulation),
        lambda f: (
            _("PLKB: %(plkb)s, regulation: %(reg)s")
            % {
                "plkb": _("yes") if f.has_plkb else _("no"),
                "reg": _("yes") if f.has_regulation else _("no"),
            }
        ),
        _advise_companion,
    ),
    Indicator(
        "data_sources",
        PROCESS,
        gettext_lazy("Data sources used"),
        4,
        lambda f: band_data_sources(f.data_source_count),
        lambda f: _("%(n)d of 5") % {"n": f.data_source_count},
        lambda f, s: _more(
            f.data_source_count,
            (1, 2, 4),
            5,
            lambda n: ngettext("%(n)d data source", "%(n)d data sources", n) % {"n": n},
        ),
    ),
    Indicator(
        "mechanisms",
        PROCESS,
        gettext_lazy("Operational mechanisms done"),
        4,
        lambda f: band_mechanisms(f.mechanism_count),
        lambda f: _("%(n)d of 5") % {"n": f.mechanism_count},
        lambda f, s: _more(
            f.mechanism_count,
            (1, 3, 5),
            5,
            lambda n: ngettext("%(n)d mechanism", "%(n)d mechanisms", n) % {"n": n},
        ),
    ),
    Indicator(
        "cross_sector",
        PROCESS,
        gettext_lazy("Cross-sector agencies (last 12 months)"),
        4,
        lambda f: band_cross_sector(f.agency_count),
        lambda f: (
            ngettext("%(n)d agency", "%(n)d agencies", f.agency_count) % {"n": f.agency_count}
        ),
        lambda f, s: (
            _(
                "Involve %(what)s in verified activities within 12 months (DPMP3AKB and BKKBN "
                "do not count)."
            )
            % {
                "what": _more_agencies(
                    next(t for t in (1, 4, 7) if t > f.agency_count) - f.agency_count
                )
            }
        ),
    ),
    Indicator(
        "participation",
        OUTPUT,
        gettext_lazy("Poktan participation"),
        4,
        lambda f: band_participation(f.participation_pct),
        lambda f: _pct(f.participation_pct),
        _advise_min_pct((10, 21, 31), "participation_pct"),
    ),
    Indicator(
        "cpr",
        OUTPUT,
        gettext_lazy("CPR (KB users / PUS)"),
        4,
        lambda f: band_cpr(f.cpr_pct),
        lambda f: _pct(f.cpr_pct),
        _advise_min_pct((30, 41, 51), "cpr_pct"),
    ),
    Indicator(
        "long_acting",
        OUTPUT,
        gettext_lazy("Long-acting methods (MKJP)"),
        4,
        lambda f: band_long_acting(f.long_acting_pct),
        lambda f: _pct(f.long_acting_pct),
        _advise_min_pct((20, 23, 25), "long_acting_pct"),
    ),
    Indicator(
        "unmet_need",
        OUTPUT,
        gettext_lazy("Unmet need"),
        4,
        lambda f: band_unmet_need(f.unmet_need_pct),
        lambda f: _pct(f.unmet_need_pct),
        _advise_unmet,
    ),
)
INDICATOR_BY_KEY = {i.key: i for i in INDICATORS}
INDEX_KEYS = (INPUT, PROCESS, OUTPUT)
_INDEX_MEMBERS = tuple((k, tuple(i.key for i in INDICATORS if i.index == k)) for k in INDEX_KEYS)


@dataclass(frozen=True)
class Result:
    scores: dict[str, int]
    indices: dict[str, Decimal]
    quality_class: QualityClass

    @property
    def high(self) -> dict[str, bool]:
        return {k: is_high(v) for k, v in self.indices.items()}


def score(figures: Figures) -> Result:
    scores = {i.key: i.band(figures) for i in INDICATORS}
    indices = {}
    for index, keys in _INDEX_MEMBERS:
        indices[index] = _index_value(sum(scores[k] for k in keys), len(keys))
    return Result(
        scores,
        indices,
        classify(indices[INPUT] >= HIGH, indices[PROCESS] >= HIGH, indices[OUTPUT] >= HIGH),
    )


# --------------------------------------------------------------------------------------
# "To reach the next class"
# --------------------------------------------------------------------------------------
@dataclass
class IndexStep:
    index: str
    value: Decimal
    points_needed: int  # sub-score points the index still lacks to reach 3.00
    indicators: list[dict] = field(default_factory=list)  # what can be raised, with advice

    @property
    def label(self):
        return INDEX_LABELS[self.index]


@dataclass
class NextClassPlan:
    current: QualityClass
    target: QualityClass | None  # None: already the highest class
    steps: list[IndexStep] = field(default_factory=list)


def points_needed(index: str, scores: dict[str, int]) -> int:
    keys = [i.key for i in INDICATORS if i.index == index]
    return max(0, 3 * len(keys) - sum(scores[k] for k in keys))


def next_class_plan(figures: Figures, result: Result | None = None) -> NextClassPlan:
    """The cheapest way (fewest sub-score points) to a strictly higher class: which
    indices must become high and, for each, the indicators that can still be raised
    with what to do about them in plain words."""
    result = result or score(figures)
    high = result.high
    current = result.quality_class
    if current == QualityClass.SUSTAINABLE:
        return NextClassPlan(current, None)
    low = [k for k in INDEX_KEYS if not high[k]]
    best = None
    for size in range(1, len(low) + 1):
        for raise_ in combinations(low, size):
            flags = {k: high[k] or k in raise_ for k in INDEX_KEYS}
            reached = classify(flags[INPUT], flags[PROCESS], flags[OUTPUT])
            if reached <= current:
                continue
            cost = sum(points_needed(k, result.scores) for k in raise_)
            # Fewest points first; at equal cost the higher class.
            key = (cost, -reached)
            if best is None or key < best[0]:
                best = (key, reached, raise_)
    _key, target, raise_ = best
    steps = []
    for k in raise_:
        step = IndexStep(k, result.indices[k], points_needed(k, result.scores))
        for ind in INDICATORS:
            s = result.scores[ind.key]
            if ind.index == k and s < ind.max_score:
                step.indicators.append(
                    {
                        "key": ind.key,
                        "label": ind.label,
                        "score": s,
                        "figure": ind.describe(figures),
                        "advice": ind.advise(figures, s),
                    }
                )
        steps.append(step)
    return NextClassPlan(current, target, steps)
