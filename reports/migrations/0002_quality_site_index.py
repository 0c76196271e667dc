import django.db.models.deletion
from django.db import migrations, models

INDEX = "reports_qualityscore_site_id_423325d9"


class Migration(migrations.Migration):
    """Drop the index on ``site_id`` alone: the unique (site, period) index already serves
    every lookup by site. Only the index goes (Django's own ALTER would also drop and
    re-validate the foreign key, a scan of the whole table)."""

    dependencies = [
        ("reports", "0001_quality_scores"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="qualityscore",
                    name="site",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="quality_scores",
                        to="villages.kampungkb",
                        verbose_name="Kampung KB",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    reverse_sql=f'CREATE INDEX "{INDEX}" ON "reports_qualityscore" ("site_id")',
                ),
            ],
        ),
    ]
