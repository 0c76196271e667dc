"""Master data: Kota Tangerang Selatan's agencies (OPD) and partner kinds that take part in
Kampung KB activities. Loaded by a migration, editable in the admin, idempotent by name."""

AGENCIES = [
    # name, short name, kind, is KB agency
    (
        "Dinas Pemberdayaan Masyarakat, Pemberdayaan Perempuan, Perlindungan Anak dan "
        "Keluarga Berencana",
        "DPMP3AKB",
        "opd",
        True,
    ),
    ("Dinas Kesehatan", "Dinkes", "opd", False),
    ("Dinas Pendidikan dan Kebudayaan", "Dindikbud", "opd", False),
    ("Dinas Sosial", "Dinsos", "opd", False),
    ("Dinas Lingkungan Hidup", "DLH", "opd", False),
    ("Dinas Ketenagakerjaan", "Disnaker", "opd", False),
    ("Dinas Kependudukan dan Pencatatan Sipil", "Disdukcapil", "opd", False),
    ("Dinas Komunikasi dan Informatika", "Diskominfo", "opd", False),
    ("Dinas Koperasi dan Usaha Kecil Menengah", "Diskop UKM", "opd", False),
    ("Dinas Ketahanan Pangan, Pertanian dan Perikanan", "DKP3", "opd", False),
    ("Dinas Kepemudaan dan Olahraga", "Dispora", "opd", False),
    ("Dinas Perumahan, Kawasan Permukiman dan Pertanahan", "Disperkimta", "opd", False),
    ("Badan Perencanaan Pembangunan Daerah", "Bappeda", "opd", False),
    ("Perwakilan BKKBN Provinsi Banten", "BKKBN", "vertikal", True),
    ("Kantor Kementerian Agama Kota Tangerang Selatan", "Kemenag", "vertikal", False),
    ("Puskesmas setempat", "Puskesmas", "puskesmas", False),
    ("Tim Penggerak PKK Kota Tangerang Selatan", "TP PKK", "masyarakat", False),
    ("Karang Taruna", "Karang Taruna", "masyarakat", False),
    ("Perguruan tinggi", "Kampus", "lainnya", False),
    ("Perusahaan swasta (CSR)", "CSR", "swasta", False),
]


def seed_agencies(apps=None):
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    OPD = apps.get_model("activities", "OPD")
    for name, short, kind, kb in AGENCIES:
        OPD.objects.update_or_create(
            name=name, defaults={"short_name": short, "kind": kind, "is_kb_agency": kb}
        )
