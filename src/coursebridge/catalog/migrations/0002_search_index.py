from django.db import migrations


def install(apps, schema_editor):
    from coursebridge.catalog import search

    search.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from coursebridge.catalog import search

    search.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
