"""DESIGN §7, pinned: every band edge of every indicator, the rounding, the indices and
every class rule. Pure functions: no database."""

from decimal import Decimal

import pytest

from reports import quality as q
from reports.quality import QualityClass as C


# --------------------------------------------------------------------------------------
# Rounding: half up, exact (Python's round() would give 20 for 20.5)
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "num, den, expected",
    [
        (41, 200, 21),  # 20.5 % → 21 (round() gives 20)
        (45, 200, 23),  # 22.5 % → 23 (round() gives 22)
        (61, 200, 31),  # 30.5 % → 31
        (81, 200, 41),  # 40.5 % → 41
        (101, 200, 51),  # 50.5 % → 51
        (25, 200, 13),  # 12.5 % → 13
        (13, 200, 7),  # 6.5 % → 7
        (409, 2000, 20),  # 20.45 % → 20
        (0, 10, 0),
        (10, 10, 100),
        (1, 3, 33),
        (2, 3, 67),
    ],
)
def test_percent_rounds_half_up(num, den, expected):
    assert q.percent(num, den) == expected


@pytest.mark.parametrize("den", [0, None])
def test_percent_without_denominator_is_no_data(den):
    assert q.percent(5, den) is None


def test_mean_percent_is_exact_at_the_half():
    # (10 % + 11 %) / 2 = 10.5 % → 11; floats give 10.499999… for some pairs.
    assert q.mean_percent([(10, 100), (11, 100)]) == 11
    assert q.mean_percent([(1, 3), (1, 6)]) == 25  # (33.3 + 16.7) / 2 = 25
    assert q.mean_percent([(41, 200)]) == 21
    # A poktan whose target group is 0 is left out of the mean.
    assert q.mean_percent([(30, 100), (0, 0)]) == 30
    assert q.mean_percent([(0, 0)]) is None
    assert q.mean_percent([]) is None


# --------------------------------------------------------------------------------------
# Bands: every edge
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "exists, members, trained, expected",
    [
        (False, 0, 0, 1),
        (False, 20, 5, 1),  # members without a Pokja do not count
        (True, 0, 0, 2),
        (True, 1, 0, 3),
        (True, 0, 1, 3),
        (True, 1, 1, 4),
        (True, 30, 12, 4),
    ],
)
def test_band_pokja(exists, members, trained, expected):
    assert q.band_pokja(exists, members, trained) == expected


@pytest.mark.parametrize(
    "count, expected", [(0, 1), (1, 2), (2, 3), (3, 3), (4, 3), (5, 4), (6, 4)]
)
def test_band_funding(count, expected):
    assert q.band_funding(count) == expected


@pytest.mark.parametrize("count, expected", [(0, 1), (1, 2), (2, 2), (3, 3), (4, 3), (5, 4)])
def test_band_poktan(count, expected):
    assert q.band_poktan(count) == expected


@pytest.mark.parametrize("count, expected", [(0, 1), (1, 2), (2, 3)])
def test_band_facilities(count, expected):
    assert q.band_facilities(count) == expected


@pytest.mark.parametrize(
    "plkb, regulation, expected",
    [(False, False, 1), (True, False, 2), (False, True, 2), (True, True, 3)],
)
def test_band_companion_regulation(plkb, regulation, expected):
    assert q.band_companion_regulation(plkb, regulation) == expected


@pytest.mark.parametrize("count, expected", [(0, 1), (1, 2), (2, 3), (3, 3), (4, 4), (5, 4)])
def test_band_data_sources(count, expected):
    assert q.band_data_sources(count) == expected


@pytest.mark.parametrize("count, expected", [(0, 1), (1, 2), (2, 2), (3, 3), (4, 3), (5, 4)])
def test_band_mechanisms(count, expected):
    assert q.band_mechanisms(count) == expected


@pytest.mark.parametrize(
    "agencies, expected",
    [(0, 1), (1, 2), (3, 2), (4, 3), (6, 3), (7, 4), (15, 4)],
)
def test_band_cross_sector(agencies, expected):
    assert q.band_cross_sector(agencies) == expected


@pytest.mark.parametrize(
    "pct, expected",
    [(None, 1), (0, 1), (9, 1), (10, 2), (20, 2), (21, 3), (30, 3), (31, 4), (100, 4)],
)
def test_band_participation(pct, expected):
    assert q.band_participation(pct) == expected


@pytest.mark.parametrize(
    "pct, expected",
    [(None, 1), (0, 1), (29, 1), (30, 2), (40, 2), (41, 3), (50, 3), (51, 4), (100, 4)],
)
def test_band_cpr(pct, expected):
    assert q.band_cpr(pct) == expected


@pytest.mark.parametrize(
    "pct, expected",
    [(None, 1), (0, 1), (19, 1), (20, 2), (22, 2), (23, 3), (24, 3), (25, 4), (100, 4)],
)
def test_band_long_acting(pct, expected):
    assert q.band_long_acting(pct) == expected


@pytest.mark.parametrize(
    "pct, expected",
    [(None, 1), (100, 1), (13, 1), (12, 2), (10, 2), (9, 3), (7, 3), (6, 4), (0, 4)],
)
def test_band_unmet_need(pct, expected):
    assert q.band_unmet_need(pct) == expected


@pytest.mark.parametrize(
    "num, den, band, expected",
    [
        # Rounded before banding: 22.5 % → 23 % → 3 (round() would give 22 → 2).
        (45, 200, q.band_long_acting, 3),
        (49, 200, q.band_long_acting, 4),  # 24.5 → 25
        (81, 200, q.band_cpr, 3),  # 40.5 → 41
        (59, 200, q.band_cpr, 2),  # 29.5 → 30
        (41, 200, q.band_participation, 3),  # 20.5 → 21
        (61, 200, q.band_participation, 4),  # 30.5 → 31
        (19, 200, q.band_participation, 2),  # 9.5 → 10
        (25, 200, q.band_unmet_need, 1),  # 12.5 → 13
        (19, 200, q.band_unmet_need, 2),  # 9.5 → 10
        (13, 200, q.band_unmet_need, 3),  # 6.5 → 7
        (11, 200, q.band_unmet_need, 4),  # 5.5 → 6
    ],
)
def test_halves_are_banded_after_rounding_up(num, den, band, expected):
    assert band(q.percent(num, den)) == expected


# --------------------------------------------------------------------------------------
# Output percentages from snapshots
# --------------------------------------------------------------------------------------
POPULATION = {
    "pus": 1000,
    "families": 2000,
    "adolescents": 1500,
    "families_with_toddlers": 500,
    "families_with_adolescents": 600,
    "families_with_elderly": 300,
}
KKBPK = {
    "participants_bkb": 100,  # 20 %
    "participants_bkr": 120,  # 20 %
    "participants_bkl": 60,  # 20 %
    "participants_uppka": 400,  # 20 %
    "participants_pikr": 300,  # 20 %
    "kb_iud": 60,
    "kb_mow": 20,
    "kb_mop": 5,
    "kb_condom": 40,
    "kb_implant": 75,
    "kb_injection": 280,
    "kb_pill": 120,  # 600 users
    "nonuser_want_child_later": 70,
    "nonuser_want_no_more": 50,
}


def test_output_percentages_from_snapshots():
    out = q.output_percentages(POPULATION, KKBPK)
    assert out == {
        "participation_pct": 20,
        "cpr_pct": 60,  # 600 / 1000
        "long_acting_pct": 27,  # 160 / 600 = 26.67
        "unmet_need_pct": 12,  # 120 / 1000
    }


def test_output_percentages_without_data_score_one():
    for population, kkbpk in ((None, KKBPK), (POPULATION, None), (None, None)):
        out = q.output_percentages(population, kkbpk)
        assert set(out.values()) == {None}
        figures = q.Figures(**out)
        result = q.score(figures)
        assert [
            result.scores[k] for k in ("participation", "cpr", "long_acting", "unmet_need")
        ] == [
            1,
            1,
            1,
            1,
        ]


def test_no_pus_and_no_users_is_no_data_not_zero():
    out = q.output_percentages(
        {**POPULATION, "pus": 0}, {**KKBPK, **dict.fromkeys(q.KB_METHOD_FIELDS, 0)}
    )
    assert out["cpr_pct"] is None and out["unmet_need_pct"] is None
    assert out["long_acting_pct"] is None
    assert q.band_unmet_need(out["unmet_need_pct"]) == 1  # not 4 for "0 % unmet need"


# --------------------------------------------------------------------------------------
# Indices and classes
# --------------------------------------------------------------------------------------
def test_index_is_the_plain_average_rounded_to_two_places():
    assert q.index_value([3, 3, 2]) == Decimal("2.67")
    assert q.index_value([4, 4, 4, 3, 3]) == Decimal("3.60")
    assert q.index_value([3, 3, 3, 3, 2]) == Decimal("2.80")
    assert q.index_value([1, 1, 2]) == Decimal("1.33")
    assert q.index_value([2, 3, 3, 4]) == Decimal("3.00")


def test_an_index_is_high_from_three():
    assert q.is_high(Decimal("3.00"))
    assert not q.is_high(Decimal("2.99"))
    assert not q.is_high(Decimal("2.67"))


@pytest.mark.parametrize(
    "input_high, process_high, output_high, expected",
    [
        (True, True, True, C.SUSTAINABLE),
        (True, False, True, C.SELF_RELIANT),
        (False, True, True, C.SELF_RELIANT),
        (True, True, False, C.DEVELOPING),
        (False, False, True, C.BASIC),  # output alone is not enough
        (True, False, False, C.BASIC),
        (False, True, False, C.BASIC),
        (False, False, False, C.BASIC),
    ],
)
def test_class_rules(input_high, process_high, output_high, expected):
    assert q.classify(input_high, process_high, output_high) == expected


def strong_figures(**overrides):
    base = {
        "pokja_exists": True,
        "pokja_members": 20,
        "pokja_trained": 8,
        "funding_count": 5,
        "poktan_count": 5,
        "facility_count": 2,
        "has_plkb": True,
        "has_regulation": True,
        "data_source_count": 4,
        "mechanism_count": 5,
        "agency_count": 7,
        "participation_pct": 31,
        "cpr_pct": 51,
        "long_acting_pct": 25,
        "unmet_need_pct": 6,
    }
    base.update(overrides)
    return q.Figures(**base)


def test_score_of_a_strong_site():
    result = q.score(strong_figures())
    assert set(result.scores.values()) <= {3, 4}
    assert result.scores["facilities"] == 3 and result.scores["companion"] == 3
    assert result.indices == {
        "input": Decimal("3.60"),
        "process": Decimal("4.00"),
        "output": Decimal("4.00"),
    }
    assert result.quality_class == C.SUSTAINABLE


def test_score_at_the_edge_of_each_index():
    # Input: 4+1+4+3+3 = 15 / 5 = 3.00 → high; one point less → 2.80 → not high.
    edge = strong_figures(funding_count=0)
    assert q.score(edge).indices["input"] == Decimal("3.00")
    assert q.score(edge).quality_class == C.SUSTAINABLE
    below = strong_figures(funding_count=0, facility_count=1)
    assert q.score(below).indices["input"] == Decimal("2.80")
    assert q.score(below).quality_class == C.SELF_RELIANT
    # Process: 4+3+2 = 9 / 3 = 3.00 → high; 4+3+1 = 8 / 3 = 2.67 → not.
    assert q.score(strong_figures(data_source_count=2, agency_count=1)).indices[
        "process"
    ] == Decimal("3.00")
    assert q.score(strong_figures(data_source_count=2, agency_count=0)).quality_class == (
        C.SELF_RELIANT
    )
    # Output: 4+4+2+2 = 12 / 4 = 3.00 → high; 4+4+2+1 → 2.75 → Developing.
    assert q.score(strong_figures(long_acting_pct=22, unmet_need_pct=12)).quality_class == (
        C.SUSTAINABLE
    )
    assert q.score(strong_figures(long_acting_pct=22, unmet_need_pct=13)).quality_class == (
        C.DEVELOPING
    )


def test_an_empty_site_is_basic():
    result = q.score(q.Figures())
    assert set(result.scores.values()) == {1}
    assert result.quality_class == C.BASIC


# --------------------------------------------------------------------------------------
# "To reach the next class"
# --------------------------------------------------------------------------------------
def test_next_class_from_basic_names_the_cheapest_indices():
    figures = strong_figures(funding_count=0, facility_count=1, data_source_count=1, agency_count=0)
    plan = q.next_class_plan(figures)
    assert plan.current == C.BASIC
    # Output is high: making one of input (1 point short) / process (2 short) high reaches
    # Mandiri; input is cheaper.
    assert plan.target == C.SELF_RELIANT
    assert [s.index for s in plan.steps] == ["input"]
    assert plan.steps[0].points_needed == 1
    keys = [i["key"] for i in plan.steps[0].indicators]
    assert keys == ["funding", "facilities"]  # pokja and poktan are at 4, companion at 3


def test_next_class_for_developing_is_output():
    figures = strong_figures(cpr_pct=29, participation_pct=9)
    plan = q.next_class_plan(figures)
    assert plan.current == C.DEVELOPING
    assert plan.target == C.SUSTAINABLE
    assert [s.index for s in plan.steps] == ["output"]
    advice = {i["key"]: i["advice"] for i in plan.steps[0].indicators}
    assert "29%" in advice["cpr"] and "30%" in advice["cpr"]


def test_next_class_for_the_top_class_is_none():
    plan = q.next_class_plan(strong_figures())
    assert plan.target is None and plan.steps == []


def test_advice_asks_for_the_missing_figures():
    plan = q.next_class_plan(q.Figures())
    output_steps = [s for s in plan.steps if s.index == "output"]
    assert output_steps  # output + process (14 points) is cheaper than input + process (16)
    assert plan.target == C.SELF_RELIANT
    for step in output_steps:
        for item in step.indicators:
            assert "KKBPK" in item["advice"]
