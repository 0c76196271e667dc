from django.db import migrations


def seed(apps, schema_editor):
    from activities.agencies import seed_agencies

    seed_agencies(apps)


class Migration(migrations.Migration):
    dependencies = [("activities", "0002_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
