from django.db import migrations


def store_uncompressed(apps, schema_editor):
    # The active-set snapshot is dense binary that barely compresses; PostgreSQL's default pglz attempt costs more
    # than the write itself (measured: 38 ms vs 8 ms for a 240 KB value), so keep it out of line, uncompressed.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE forecasting_communitystate ALTER COLUMN data SET STORAGE EXTERNAL")


class Migration(migrations.Migration):
    dependencies = [("forecasting", "0001_initial")]

    operations = [migrations.RunPython(store_uncompressed, migrations.RunPython.noop)]
