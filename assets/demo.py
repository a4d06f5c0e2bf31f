"""Demo assets, trials and news. Placeholder: filled by the assets pages work."""


def assets_demo_load() -> list[str]:
    return []
