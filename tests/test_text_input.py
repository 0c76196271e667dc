"""Free text is bounded and clean (kampungkb/text.py): the limits per field, which hidden
characters are stripped and which are refused, through the real pages, the admin and an
import; and phone numbers are Indonesian numbers stored in one form."""

import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from activities.models import Activity, PokjaMember, Usulan
from kampungkb.text import (
    BIDI_CONTROLS,
    ZERO_WIDTH,
    MultiLineFormField,
    SingleLineFormField,
    normalise_phone,
    refused_character,
)

from . import factories as f
from .test_activity_input import post_new
from .test_imports import ACT, act_row, errors_of, upload

pytestmark = pytest.mark.django_db
S = Activity.Status
LIMIT = "Pastikan nilai ini mengandung paling banyak {} karakter (sekarang {} karakter)."
HIDDEN = "berisi karakter tersembunyi yang tidak diizinkan ({})."


def body(response):
    return response.content.decode()


# --------------------------------------------------------------------------------------
# The rules, character by character
# --------------------------------------------------------------------------------------
def clean(value, *, multiline=False, required=True):
    field_class = MultiLineFormField if multiline else SingleLineFormField
    return field_class(label="Judul", max_length=200, required=required).clean(value)


@pytest.mark.parametrize("char", list(ZERO_WIDTH))
@pytest.mark.parametrize("multiline", [False, True])
def test_zero_width_characters_are_stripped_anywhere(char, multiline):
    assert clean(f"{char}Posyandu{char} Balita{char}", multiline=multiline) == "Posyandu Balita"


def test_exactly_these_characters_are_stripped():
    assert ZERO_WIDTH == "\u200b\u200c\u200d\u2060\ufeff"


BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
CONTROLS = ["\x00", "\x01", "\x07", "\x08", "\x1b", "\x1f", "\x7f", "\x9b"]


@pytest.mark.parametrize("char", BIDI + CONTROLS)
@pytest.mark.parametrize("multiline", [False, True])
def test_bidi_controls_and_control_characters_are_refused_by_code_point(char, multiline):
    with pytest.raises(ValidationError) as refused:
        clean(f"Rapat {char}Pokja", multiline=multiline)
    code = f"U+{ord(char):04X}"
    assert refused.value.messages == [f"Judul {HIDDEN.format(code)}"]


@pytest.mark.parametrize("multiline", [False, True])
def test_refused_are_exactly_controls_bidi_controls_and_zero_width(multiline):
    kept = {"\n", "\t"} if multiline else set()
    chars = [chr(c) for c in range(0x10000)]  # the Basic Multilingual Plane
    refused = {c for c in chars if refused_character(c, multiline=multiline) is not None}
    expected = (
        {c for c in chars if unicodedata.category(c) == "Cc"} - kept
        | BIDI_CONTROLS
        | set(ZERO_WIDTH)
    )
    assert refused == expected


def test_the_bidi_list_is_the_overrides_and_isolates():
    assert frozenset(BIDI) == BIDI_CONTROLS and len(BIDI) == 9


def test_single_line_fields_fold_tabs_and_line_breaks_into_one_space():
    assert clean(" Rapat\tPokja \r\n\n RW 05\u2028ok ") == "Rapat Pokja RW 05 ok"


def test_multi_line_fields_keep_line_breaks_and_tabs_as_newline_and_tab():
    value = "Baris satu\r\nBaris dua\rBaris\ttiga\u2028empat"
    assert clean(value, multiline=True) == "Baris satu\nBaris dua\nBaris\ttiga\nempat"


def test_ordinary_text_is_kept_as_typed():
    value = "Pengajian Ibu-ibu “Al-Ikhlas” — café, 100% ✓ 🙂 مسجد"
    assert clean(value) == value


def test_a_title_of_only_hidden_characters_is_refused_as_empty():
    with pytest.raises(ValidationError) as refused:
        clean("\u200b \ufeff")
    assert refused.value.messages == ["Judul tidak boleh kosong."]
    assert clean("\u200b", required=False) == ""


# --------------------------------------------------------------------------------------
# The activity form (a Pokja on the phone)
# --------------------------------------------------------------------------------------
def test_a_10000_character_title_is_refused_with_the_limit_named(client_for, pokja_a, site_a):
    response = post_new(client_for(pokja_a), site_a, title="A" * 10_000)
    assert response.status_code == 200
    assert LIMIT.format(200, 10_000) in body(response)
    assert not Activity.objects.exists()


def test_a_title_with_a_right_to_left_override_is_refused(client_for, pokja_a, site_a):
    response = post_new(client_for(pokja_a), site_a, title="Rapat \u202epokja")
    assert f"Judul {HIDDEN.format('U+202E')}" in body(response)
    assert not Activity.objects.exists()


def test_a_title_of_only_a_zero_width_space_is_refused_as_empty(client_for, pokja_a, site_a):
    response = post_new(client_for(pokja_a), site_a, title="\u200b")
    assert "Judul tidak boleh kosong." in body(response)
    assert not Activity.objects.exists()


def test_a_pasted_title_is_saved_without_its_zero_width_characters(client_for, pokja_a, site_a):
    response = post_new(
        client_for(pokja_a), site_a, title="\ufeffPosyandu Remaja\u200b", place="Balai\u200b RW"
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert (activity.title, activity.place) == ("Posyandu Remaja", "Balai RW")


def test_the_description_is_bounded_and_its_line_breaks_count_once(client_for, pokja_a, site_a):
    client = client_for(pokja_a)
    response = post_new(client, site_a, description="x" * 4001)
    assert LIMIT.format(4000, 4001) in body(response)
    assert not Activity.objects.exists()
    # 2,000 lines typed on Windows: 4,000 characters once "\r\n" is "\n".
    description = "\r\n".join(["x"] * 2000)
    assert len(description) > 4000
    assert post_new(client, site_a, description=description).status_code == 302
    assert Activity.objects.get().description == "\n".join(["x"] * 2000)


def test_the_title_input_carries_its_limit(client_for, pokja_a):
    page = body(client_for(pokja_a).get(reverse("activities:create")))
    assert 'maxlength="200"' in page and 'maxlength="4000"' in page


# --------------------------------------------------------------------------------------
# Sites, reasons, usulan
# --------------------------------------------------------------------------------------
def test_a_site_name_with_a_bidi_override_is_refused(client_for, dinas, site_a):
    response = client_for(dinas).post(
        reverse("villages:site-update", args=[site_a.pk]),
        {
            "name": "Kampung KB \u202eBaru",
            "kelurahan": site_a.kelurahan_id,
            "coverage": "kelurahan",
            "declared_on": "01/03/2018",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert f"Nama Kampung KB {HIDDEN.format('U+202E')}" in body(response)
    site_a.refresh_from_db()
    assert site_a.name == "Kampung KB A"


@pytest.mark.parametrize("action", ["return", "reopen"])
def test_a_reason_over_1000_characters_is_refused_naming_the_limit(
    action, client_for, dinas, site_a
):
    start = S.VERIFIED if action == "reopen" else S.SUBMITTED
    activity = f.ActivityFactory(site=site_a, status=start)
    url = reverse(f"activities:{action}", args=[activity.pk])
    response = client_for(dinas).post(url, {"reason": "r" * 1001})
    assert response.status_code == 400
    # The workflow's own message, with the numbers grouped as Indonesians write them.
    assert "Alasan paling banyak 1.000 karakter (Anda menulis 1.001)." in body(response)
    activity.refresh_from_db()
    assert activity.status == start and not activity.transitions.exists()


def test_a_reason_of_1000_characters_is_kept_whole(client_for, dinas, site_a):
    # The audit history's own "change reason" column holds 100 characters: the full
    # reason stays on the transition, and PostgreSQL does not refuse the save.
    activity = f.ActivityFactory(site=site_a, status=S.SUBMITTED)
    reason = "Foto kegiatan buram. " * 47 + "x" * 13
    assert len(reason) == 1000
    url = reverse("activities:return", args=[activity.pk])
    assert client_for(dinas).post(url, {"reason": reason}).status_code == 302
    activity.refresh_from_db()
    assert activity.status == S.RETURNED
    assert activity.transitions.get().reason == reason.strip()
    assert activity.history.latest().history_change_reason == reason.strip()[:100]


def test_an_usulan_rejection_reason_over_1000_characters_is_refused(
    client_for, pokja_a, site_a, opd_x, opd_x_agency
):
    usulan = f.UsulanFactory(
        direction=Usulan.Direction.DOWN, site=site_a, opd=opd_x_agency, created_by=opd_x
    )
    url = reverse("coordination:usulan-detail", args=[usulan.pk])
    response = client_for(pokja_a).post(url, {"to_status": "rejected", "reason": "r" * 1001})
    assert response.status_code == 200
    assert LIMIT.format(1000, 1001) in body(response)
    usulan.refresh_from_db()
    assert usulan.status == Usulan.Status.SUBMITTED and usulan.rejection_reason == ""


def test_an_offered_title_with_a_hidden_character_is_refused(
    client_for, opd_x, opd_x_agency, site_a
):
    data = {"opd": opd_x_agency.pk, "sites": [site_a.pk], "kind": "program"}
    url = reverse("coordination:usulan-offer")
    response = client_for(opd_x).post(url, {**data, "title": "Skrining\u2066 lansia"})
    assert f"Judul {HIDDEN.format('U+2066')}" in body(response)
    assert not Usulan.objects.exists()
    response = client_for(opd_x).post(url, {**data, "title": "Skrining lansia\u200b"})
    assert response.status_code == 302
    assert Usulan.objects.get().title == "Skrining lansia"


@pytest.mark.parametrize("url_name", ["activities:list", "villages:site-list"])
def test_a_long_search_is_refused_not_run(url_name, client_for, dinas):
    response = client_for(dinas).get(reverse(url_name), {"q": "k" * 101})
    assert response.status_code == 200
    assert LIMIT.format(100, 101) in body(response)


# --------------------------------------------------------------------------------------
# The same rules outside the phone forms
# --------------------------------------------------------------------------------------
def test_model_validation_refuses_what_the_forms_refuse(site_a):
    activity = f.ActivityFactory.build(site=site_a, title="Rapat \u202epokja")
    with pytest.raises(ValidationError) as refused:
        activity.full_clean()
    assert refused.value.message_dict["title"] == [f"Teks ini {HIDDEN.format('U+202E')}"]
    activity.title, activity.description = "Rapat", "x" * 4001
    with pytest.raises(ValidationError) as refused:
        activity.full_clean()
    assert refused.value.message_dict["description"] == [LIMIT.format(4000, 4001)]


def test_the_admin_cleans_and_refuses_like_the_pages(client_for, dinas, site_a):
    url = reverse("admin:activities_pokjamember_add")
    data = {"site": site_a.pk, "position": "bendahara", "phone": "+62 812-3456-7890"}
    response = client_for(dinas).post(url, {**data, "name": "Ibu \u202eSari"})
    assert response.status_code == 200
    assert f"Nama {HIDDEN.format('U+202E')}" in body(response)
    assert not PokjaMember.objects.exists()
    response = client_for(dinas).post(url, {**data, "name": "Ibu Sari\u200b"})
    assert response.status_code == 302
    member = PokjaMember.objects.get()
    assert (member.name, member.phone) == ("Ibu Sari", "081234567890")


def test_an_import_row_goes_through_the_same_rules(client_for, pokja_a, site_a):
    rows = [
        ACT,
        act_row(site_a, title="Posyandu \u202eremaja"),
        act_row(site_a, title="Senam lansia\u200b"),
    ]
    batch = upload(client_for(pokja_a), "activities", rows)
    assert errors_of(batch) == [(2, "judul", f"Judul {HIDDEN.format('U+202E')}")]


# --------------------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("081234567890", "081234567890"),
        ("0812-3456-7890", "081234567890"),
        ("0812 3456 7890", "081234567890"),
        ("+62 812 3456 7890", "081234567890"),
        ("+6281234567890", "081234567890"),
        ("6281234567890", "081234567890"),
        ("\u200b0812.3456.7890", "081234567890"),
        ("021-7654321", "0217654321"),
        ("(021) 7654321", "0217654321"),
        ("0251-8312345", "02518312345"),
    ],
)
def test_indonesian_numbers_are_accepted_and_stored_in_one_form(
    typed, stored, client_for, pokja_a, site_a
):
    url = reverse("activities:member-create", args=[site_a.pk])
    data = {"name": "Ibu Wulan", "position": "anggota", "phone": typed}
    assert client_for(pokja_a).post(url, data).status_code == 302
    assert PokjaMember.objects.get(name="Ibu Wulan").phone == stored


@pytest.mark.parametrize(
    "typed",
    [
        "12345",
        "0812",
        "08123456789012345",
        "+65 6123 4567",  # Singapore
        "0812-3456-7890 ext 5",
        "0812-FLOWERS",
        "0812\u202e34567890",
        "00000000000",
    ],
)
def test_other_numbers_are_refused_with_an_example(typed, client_for, pokja_a, site_a):
    url = reverse("activities:member-create", args=[site_a.pk])
    data = {"name": "Ibu Wulan", "position": "anggota", "phone": typed}
    response = client_for(pokja_a).post(url, data)
    assert response.status_code == 200
    example = "Contoh: 0812-3456-7890 atau +62 812 3456 7890."
    assert f"Nomor telepon tidak valid. {example}" in body(response)
    assert not PokjaMember.objects.filter(name="Ibu Wulan").exists()


def test_the_demo_phone_numbers_are_valid():
    from villages.demo import MOBILE_PREFIXES

    for prefix in MOBILE_PREFIXES:
        for tail in ("10000000", "99999999"):
            assert normalise_phone(prefix + tail) == prefix + tail
