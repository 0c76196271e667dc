import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from villages.models import Kecamatan, Kelurahan, Kota

pytestmark = pytest.mark.django_db

GOOD_CSV = """level,kemendagri_code,name,parent_code,bps_code,postal_code,other_spellings
kota,36.71,Kota Tangerang,36,3671,,
kecamatan,36.71.01,Tangerang,36.71,3671010,,
kelurahan,36.71.01.1001,Sukarasa,36.71.01,3671010001,15111,
kelurahan,36.71.01.1002,Sukasari,36.71.01,,15118,
"""


def test_tangsel_master_data_is_loaded_by_migrate():
    kota = Kota.objects.get(code="36.74")
    assert kota.name == "Kota Tangerang Selatan"
    assert Kecamatan.objects.filter(kota=kota).count() == 7
    assert Kelurahan.objects.filter(kecamatan__kota=kota).count() == 54
    cilenggang = Kelurahan.objects.get(code="36.74.01.1008")
    assert (cilenggang.name, cilenggang.kecamatan.name) == ("Cilenggang", "Serpong")
    muncul = Kelurahan.objects.get(code="36.74.07.1001")
    assert (muncul.name, muncul.kecamatan.name) == ("Muncul", "Setu")
    assert set(Kecamatan.objects.filter(kota=kota).values_list("name", flat=True)) == {
        "Serpong",
        "Serpong Utara",
        "Pondok Aren",
        "Ciputat",
        "Ciputat Timur",
        "Pamulang",
        "Setu",
    }


def test_load_wilayah_loads_another_city_and_is_idempotent(tmp_path, capsys):
    path = tmp_path / "tangerang.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    call_command("load_wilayah", str(path))
    assert "Kelurahan: 2 baru, 0 diperbarui" in capsys.readouterr().out
    call_command("load_wilayah", str(path))
    assert "Kelurahan: 0 baru, 2 diperbarui" in capsys.readouterr().out
    assert Kelurahan.objects.filter(kecamatan__kota__code="36.71").count() == 2
    assert Kelurahan.objects.get(code="36.71.01.1001").postal_code == "15111"
    # Tangsel is untouched.
    assert Kelurahan.objects.count() == 54 + 2


@pytest.mark.parametrize(
    "bad_line, message",
    [
        ("kelurahan,36.71.01.10X3,Babakan,36.71.01,,,", "Baris 4"),
        ("kelurahan,36.71.02.1003,Babakan,36.71.02,,,", "induk “36.71.02” tidak dikenal"),
        ("kelurahan,36.71.01.1003,Babakan,36.71.09,,,", "tidak termasuk induk"),
        ("kelurahan,36.71.01.1001,Sukarasa lagi,36.71.01,,,", "sudah ada di baris 4"),
        ("kampung,36.71.01.1003,Babakan,36.71.01,,,", "tingkat “kampung” tidak dikenal"),
    ],
)
def test_load_wilayah_rejects_bad_rows_and_saves_nothing(tmp_path, bad_line, message):
    lines = GOOD_CSV.strip().splitlines()
    text = "\n".join(lines[:3] + [bad_line] + lines[3:]) + "\n"
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as excinfo:
        call_command("load_wilayah", str(path), stderr=(err := __import__("io").StringIO()))
    assert "tidak ada yang disimpan" in str(excinfo.value)
    assert message in err.getvalue()
    assert not Kota.objects.filter(code="36.71").exists()
    assert not Kelurahan.objects.filter(code__startswith="36.71").exists()


def test_load_wilayah_reports_a_missing_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("level,code,name\nkota,36.71,Kota Tangerang\n", encoding="utf-8")
    err = __import__("io").StringIO()
    with pytest.raises(CommandError):
        call_command("load_wilayah", str(path), stderr=err)
    assert "kolom" in err.getvalue()
    assert "kemendagri_code" in err.getvalue()
