from assets.importers.command import EXIT_STATUS_HELP, ImportCommand


class Command(ImportCommand):
    help = (
        "Import ClinicalTrials.gov API v2 study records (JSON, one study or {\"studies\": [...]}): creates or updates "
        "each trial by NCT id, else acronym, with phase, status, sponsor, arms and endpoints. " + EXIT_STATUS_HELP
    )
    format = "ctgov"
    suffixes = (".json",)
