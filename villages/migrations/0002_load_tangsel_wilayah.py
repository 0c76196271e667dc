"""Master data: Kota Tangerang Selatan's 7 kecamatan and 54 kelurahan (Kemendagri 2025
codes), loaded on migrate from villages/data/tangsel_wilayah.csv. Idempotent."""

from django.db import migrations


def load(apps, schema_editor):
    from villages.wilayah import load_tangsel

    load_tangsel(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("villages", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
