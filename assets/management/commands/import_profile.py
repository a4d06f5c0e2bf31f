from assets.importers.command import EXIT_STATUS_HELP, ImportCommand


class Command(ImportCommand):
    help = (
        "Import asset profiles (text: name, sponsor, description, Analyst Commentary, Also Known As): the asset, its "
        "sponsor, aliases and commentary, and the trials the text names. Importing a file again updates, never "
        "duplicates. " + EXIT_STATUS_HELP
    )
    format = "profile"
    suffixes = (".txt", ".md", "")
