"""Region outlines (GeoJSON in a JSON field) and Tangsel's 54 kelurahan boundaries, loaded
from villages/data/tangsel_kelurahan.geojson with the kecamatan and city outlines built
from them. Idempotent."""

from django.db import migrations, models


def load(apps, schema_editor):
    from villages.boundaries import load_tangsel

    load_tangsel(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("villages", "0004_bounded_text")]

    operations = [
        migrations.CreateModel(
            name="Boundary",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=13, unique=True, verbose_name="Kemendagri code")),
                (
                    "level",
                    models.CharField(
                        choices=[("kota", "City/regency"), ("kecamatan", "Kecamatan"), ("kelurahan", "Kelurahan")],
                        max_length=10,
                        verbose_name="level",
                    ),
                ),
                ("geometry", models.JSONField(verbose_name="boundary")),
            ],
            options={"verbose_name": "boundary", "verbose_name_plural": "boundaries", "ordering": ["code"]},
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
