from assets.importers.command import EXIT_STATUS_HELP, ImportCommand


class Command(ImportCommand):
    help = (
        "Import ClinicalTrials.gov API v2 study records (JSON, one study or {\"studies\": [...]}): creates or updates "
        "each trial by NCT id, else acronym, with phase, the registry's status, dates and enrollment (each change kept "
        "as history), sponsor (when the trial has none), arms and endpoints. To fetch them from the API instead: "
        "sync_ctgov. " + EXIT_STATUS_HELP
    )
    format = "ctgov"
    suffixes = (".json",)
