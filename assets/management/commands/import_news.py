from assets.importers.command import EXIT_STATUS_HELP, ImportCommand


class Command(ImportCommand):
    help = (
        "Import news items (text: ' date YYYY-MM-DD ' and the first paragraph, then paragraphs): links each to the "
        "companies, assets and trials it names and adds the event it reports to the trial's timeline. Idempotent by "
        "content hash. " + EXIT_STATUS_HELP
    )
    format = "news"
    suffixes = (".txt", ".md", "")
