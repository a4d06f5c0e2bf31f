"""Demo assets, trials, news and readouts, written in our own words from public facts. Idempotent.

The mezigdomide profile and the SUCCESSOR-2 topline restate the facts of the seed documents (they are not read from
disk: the demo must run from a clean checkout). The other assets and trials use published registry and journal
facts; where a fact was not at hand (SUCCESSOR-1's NCT id, the golcadomide Phase 2's design) the field is left
blank rather than guessed. Rows are matched on natural keys (names, aliases, NCT ids, acronyms), so running the
loader twice, or after an importer created the same company or asset, updates rather than duplicates.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

from assets.models import (
    Arm,
    Asset,
    AssetAlias,
    CommentarySection,
    Company,
    CompanyAlias,
    Endpoint,
    Indication,
    Readout,
    Trial,
    TrialEndpoint,
    TrialEvent,
)
from assets.demo_clock import demo_calendar
from assets.services import news_item_upsert

ENDPOINTS = [
    ("PFS", "Progression-free survival", "Time from randomisation to disease progression or death."),
    ("OS", "Overall survival", "Time from randomisation to death from any cause."),
    ("ORR", "Overall response rate", "Share of patients with a partial response or better."),
    ("MRD", "MRD negativity", "Share of patients with no detectable minimal residual disease."),
    ("HRQOL", "Health-related quality of life", "Patient-reported quality of life."),
    ("EFS", "Event-free survival", "Time to progression, relapse, new treatment or death."),
    ("CR", "Complete response", "Share of patients with a complete response or better."),
]

INDICATIONS = [
    ("Relapsed/refractory multiple myeloma", "RRMM"),
    ("Follicular lymphoma", "FL"),
]

COMPANIES = [
    ("Bristol-Myers Squibb", "https://www.bms.com", ["Bristol Myers Squibb", "BMS"]),
    ("Johnson & Johnson", "https://www.jnj.com", ["J&J", "Janssen"]),
    ("GSK", "https://www.gsk.com", ["GlaxoSmithKline"]),
]

MEZIGDOMIDE_DESCRIPTION = (
    "An oral CELMoD agent (cereblon E3 ligase modulator) that Bristol-Myers Squibb is developing as the next step "
    "after lenalidomide and pomalidomide. It binds cereblon more tightly than those drugs, which is meant to strip "
    "myeloma cells of the transcription factors Ikaros and Aiolos more completely and to stimulate T cells more "
    "strongly. Its pivotal study is SUCCESSOR-2 (NCT05552976), a Phase 3 comparison of MeziKd (mezigdomide, "
    "carfilzomib and dexamethasone) with Kd (carfilzomib and dexamethasone) in relapsed/refractory multiple "
    "myeloma after lenalidomide and an anti-CD38 antibody; progression-free survival is the primary endpoint, with "
    "overall survival, response rate, MRD negativity and quality of life as key secondary endpoints. A sister "
    "Phase 3, SUCCESSOR-1, pairs mezigdomide with bortezomib and dexamethasone in another relapsed population. "
    "In [TOPLINE_MONTH] the company said SUCCESSOR-2 had met its PFS endpoint, the drug's first Phase 3 success, but it "
    "released no numbers: the hazard ratio, the median PFS of each arm and the subgroup results are being kept for "
    "a medical conference. Still open: how large the PFS benefit is, whether survival follows, and what MRD data, "
    "if shown, say about the depth of response."
)

MEZIGDOMIDE_COMMENTARY = [
    (
        "🧬",
        "Development Program Significance",
        "Mezigdomide is the company's move beyond the IMiD generation (lenalidomide, pomalidomide): a molecule that "
        "grips cereblon harder, aiming at deeper tumour killing and stronger immune activation. SUCCESSOR-2 is the "
        "registrational test. Its [TOPLINE_MONTH] topline, PFS met, is mezigdomide's first Phase 3 success and the second "
        "for the CELMoD platform after iberdomide. Because the effect size was withheld until a conference, the "
        "open questions are quantitative: how far below 1 the PFS hazard ratio will sit, and whether overall "
        "survival, still being followed, moves the same way.",
    ),
    (
        "🏥",
        "Medical Significance",
        "Relapsed/refractory myeloma remains incurable, and each relapse shortens the next remission. Nearly every "
        "patient now gets lenalidomide and an anti-CD38 antibody (daratumumab or isatuximab) early, so the people "
        "SUCCESSOR-2 enrols, those relapsing after both, are a large and growing group with few standard options. "
        "Mezigdomide keeps some activity where lenalidomide has failed, although loss of cereblon can defeat the "
        "whole class. The trial asks whether a stronger cereblon modulator on top of carfilzomib and dexamethasone "
        "buys meaningfully longer disease control. The answer will be read against bispecific antibodies and CAR-T "
        "cells, which are moving into earlier lines, raising the bar for a new regimen and changing who reaches it.",
    ),
    (
        "📊",
        "Commercial Significance",
        "Multiple myeloma sales exceed $10 billion a year worldwide, and the post-lenalidomide, post-anti-CD38 "
        "setting is the most contested part of that market, with bispecifics (teclistamab, talquetamab, elranatamab) "
        "and CAR-T therapies (cilta-cel, ide-cel) taking patients who once cycled through more IMiD regimens. For "
        "the sponsor, mezigdomide is the designated heir of a lenalidomide franchise now worn down by generics: it "
        "will not reach that scale in a later-line, fragmented population, but it would keep the company central in "
        "myeloma. An all-oral triplet is also easier to give in community clinics than bispecifics, which need "
        "infusions, step-up dosing and monitoring for cytokine release syndrome. Published peak-sales estimates run "
        "from about $0.5 to $1.5 billion; the size of the undisclosed PFS benefit and any survival gain will decide "
        "where in that range the drug lands.",
    ),
]

ASSETS = [
    {
        "name": "Mezigdomide",
        "sponsor": "Bristol-Myers Squibb",
        "mechanism": "CELMoD agent (cereblon E3 ligase modulator)",
        "description": MEZIGDOMIDE_DESCRIPTION,
        "codes": ["CC-92480"],
        "other_names": [],
        "indications": ["Relapsed/refractory multiple myeloma"],
        "commentary": MEZIGDOMIDE_COMMENTARY,
    },
    {
        "name": "Iberdomide",
        "sponsor": "Bristol-Myers Squibb",
        "mechanism": "CELMoD agent (cereblon E3 ligase modulator)",
        "description": (
            "The first of the company's CELMoD agents to reach Phase 3. In EXCALIBER-RRMM (NCT04975997) iberdomide "
            "with daratumumab and dexamethasone (IberDd) is compared with daratumumab, bortezomib and "
            "dexamethasone (DVd) in myeloma that has relapsed after one or two lines of treatment. The trial has "
            "two primary endpoints, MRD negativity and PFS, and met one of them in [PRIOR_YEAR]."
        ),
        "codes": ["CC-220"],
        "other_names": [],
        "indications": ["Relapsed/refractory multiple myeloma"],
        "commentary": [],
    },
    {
        "name": "Golcadomide",
        "sponsor": "Bristol-Myers Squibb",
        "mechanism": "CELMoD agent (cereblon E3 ligase modulator) designed for lymphoma",
        "description": (
            "An oral CELMoD agent built for B-cell lymphomas, where it degrades Ikaros and Aiolos to kill tumour "
            "cells and activate immune cells. It is being combined with rituximab in previously untreated "
            "follicular lymphoma in a Phase 2 study expected to read out in [READOUT_YEAR]."
        ),
        "codes": ["CC-99282"],
        "other_names": [],
        "indications": ["Follicular lymphoma"],
        "commentary": [],
    },
    {
        "name": "Ciltacabtagene autoleucel",
        "sponsor": "Johnson & Johnson",
        "mechanism": "BCMA-directed CAR-T cell therapy",
        "description": (
            "A single-infusion CAR-T therapy against B-cell maturation antigen (BCMA), approved in late-line myeloma "
            "and tested earlier in CARTITUDE-4 (NCT04181827), where it was compared with standard triplets in "
            "lenalidomide-refractory disease after one to three prior lines."
        ),
        "codes": ["JNJ-68284528", "LCAR-B38M"],
        "other_names": ["cilta-cel", "Carvykti"],
        "indications": ["Relapsed/refractory multiple myeloma"],
        "commentary": [],
    },
    {
        "name": "Belantamab mafodotin",
        "sponsor": "GSK",
        "mechanism": "BCMA-directed antibody-drug conjugate",
        "description": (
            "An antibody-drug conjugate that delivers a microtubule inhibitor to BCMA-expressing myeloma cells. "
            "DREAMM-7 (NCT04246047) tests it with bortezomib and dexamethasone (BVd) against daratumumab, bortezomib "
            "and dexamethasone (DVd) after at least one prior line; eye toxicity is the known trade-off."
        ),
        "codes": ["GSK2857916"],
        "other_names": ["belamaf", "Blenrep"],
        "indications": ["Relapsed/refractory multiple myeloma"],
        "commentary": [],
    },
]

RRMM = "Relapsed/refractory multiple myeloma"

TRIALS = [
    {
        "registry_id": "NCT05552976",
        "acronym": "SUCCESSOR-2",
        "title": "Mezigdomide with carfilzomib and dexamethasone (MeziKd) versus carfilzomib and dexamethasone (Kd) "
        "in relapsed/refractory multiple myeloma",
        "phase": Trial.Phase.PHASE3,
        "status": Trial.Status.ACTIVE_NOT_RECRUITING,
        "sponsor": "Bristol-Myers Squibb",
        "assets": ["Mezigdomide"],
        "indication": RRMM,
        "population": "Adults with relapsed or refractory multiple myeloma who have already been exposed to "
        "lenalidomide and to an anti-CD38 antibody, and whose disease progressed on or after their last treatment.",
        "expected_readout": "medical conference, [READOUT_YEAR]",
        "arms": [
            ("MeziKd", Arm.Role.EXPERIMENTAL, "Mezigdomide + carfilzomib + dexamethasone"),
            ("Kd", Arm.Role.CONTROL, "Carfilzomib + dexamethasone"),
        ],
        "endpoints": [
            ("PFS", TrialEndpoint.Kind.PRIMARY),
            ("OS", TrialEndpoint.Kind.KEY_SECONDARY),
            ("ORR", TrialEndpoint.Kind.KEY_SECONDARY),
            ("MRD", TrialEndpoint.Kind.KEY_SECONDARY),
            ("HRQOL", TrialEndpoint.Kind.KEY_SECONDARY),
        ],
    },
    {
        "registry_id": None,  # not in our sources; left blank rather than guessed
        "acronym": "SUCCESSOR-1",
        "title": "Mezigdomide with bortezomib and dexamethasone (MeziVd) versus pomalidomide, bortezomib and "
        "dexamethasone (PVd) in relapsed/refractory multiple myeloma",
        "phase": Trial.Phase.PHASE3,
        "status": Trial.Status.UNKNOWN,
        "sponsor": "Bristol-Myers Squibb",
        "assets": ["Mezigdomide"],
        "indication": RRMM,
        "population": "Adults with relapsed or refractory multiple myeloma after one to three prior lines, "
        "including lenalidomide.",
        "expected_readout": "",
        "arms": [
            ("MeziVd", Arm.Role.EXPERIMENTAL, "Mezigdomide + bortezomib + dexamethasone"),
            ("PVd", Arm.Role.CONTROL, "Pomalidomide + bortezomib + dexamethasone"),
        ],
        "endpoints": [],
    },
    {
        "registry_id": "NCT04975997",
        "acronym": "EXCALIBER-RRMM",
        "title": "Iberdomide with daratumumab and dexamethasone (IberDd) versus daratumumab, bortezomib and "
        "dexamethasone (DVd) in relapsed/refractory multiple myeloma",
        "phase": Trial.Phase.PHASE3,
        "status": Trial.Status.ACTIVE_NOT_RECRUITING,
        "sponsor": "Bristol-Myers Squibb",
        "assets": ["Iberdomide"],
        "indication": RRMM,
        "population": "Adults with multiple myeloma that relapsed after one or two prior lines of therapy.",
        "expected_readout": "",
        "arms": [
            ("IberDd", Arm.Role.EXPERIMENTAL, "Iberdomide + daratumumab + dexamethasone"),
            ("DVd", Arm.Role.CONTROL, "Daratumumab + bortezomib + dexamethasone"),
        ],
        "endpoints": [
            ("MRD", TrialEndpoint.Kind.PRIMARY),
            ("PFS", TrialEndpoint.Kind.PRIMARY),
            ("OS", TrialEndpoint.Kind.SECONDARY),
            ("ORR", TrialEndpoint.Kind.SECONDARY),
            ("HRQOL", TrialEndpoint.Kind.SECONDARY),
        ],
    },
    {
        "registry_id": None,
        "acronym": "",
        "slug": "golcadomide-rituximab-fl-phase-2",
        "title": "Golcadomide plus rituximab in newly diagnosed advanced-stage follicular lymphoma (Phase 2)",
        "phase": Trial.Phase.PHASE2,
        "status": Trial.Status.UNKNOWN,
        "sponsor": "Bristol-Myers Squibb",
        "assets": ["Golcadomide"],
        "indication": "Follicular lymphoma",
        "population": "Adults with previously untreated, advanced-stage follicular lymphoma needing treatment.",
        "expected_readout": "[READOUT_YEAR]",
        "arms": [("Golcadomide + rituximab", Arm.Role.EXPERIMENTAL, "Oral golcadomide with rituximab")],
        "endpoints": [],
    },
    {
        "registry_id": "NCT04181827",
        "acronym": "CARTITUDE-4",
        "title": "Ciltacabtagene autoleucel versus pomalidomide, bortezomib and dexamethasone (PVd) or daratumumab, "
        "pomalidomide and dexamethasone (DPd) in lenalidomide-refractory multiple myeloma",
        "phase": Trial.Phase.PHASE3,
        "status": Trial.Status.ACTIVE_NOT_RECRUITING,
        "sponsor": "Johnson & Johnson",
        "assets": ["Ciltacabtagene autoleucel"],
        "indication": RRMM,
        "population": "Adults with lenalidomide-refractory multiple myeloma after one to three prior lines, "
        "including a proteasome inhibitor and an immunomodulatory drug.",
        "enrollment": 419,
        "expected_readout": "",
        "arms": [
            ("Cilta-cel", Arm.Role.EXPERIMENTAL, "Apheresis, bridging therapy, lymphodepletion, then one infusion "
             "of ciltacabtagene autoleucel"),
            ("PVd or DPd", Arm.Role.CONTROL, "Physician's choice of pomalidomide + bortezomib + dexamethasone or "
             "daratumumab + pomalidomide + dexamethasone"),
        ],
        "endpoints": [
            ("PFS", TrialEndpoint.Kind.PRIMARY),
            ("OS", TrialEndpoint.Kind.SECONDARY),
            ("ORR", TrialEndpoint.Kind.SECONDARY),
            ("CR", TrialEndpoint.Kind.SECONDARY),
            ("MRD", TrialEndpoint.Kind.SECONDARY),
        ],
    },
    {
        "registry_id": "NCT04246047",
        "acronym": "DREAMM-7",
        "title": "Belantamab mafodotin with bortezomib and dexamethasone (BVd) versus daratumumab, bortezomib and "
        "dexamethasone (DVd) in relapsed/refractory multiple myeloma",
        "phase": Trial.Phase.PHASE3,
        "status": Trial.Status.ACTIVE_NOT_RECRUITING,
        "sponsor": "GSK",
        "assets": ["Belantamab mafodotin"],
        "indication": RRMM,
        "population": "Adults with multiple myeloma that progressed after at least one prior line of therapy.",
        "enrollment": 494,
        "expected_readout": "",
        "arms": [
            ("BVd", Arm.Role.EXPERIMENTAL, "Belantamab mafodotin + bortezomib + dexamethasone"),
            ("DVd", Arm.Role.CONTROL, "Daratumumab + bortezomib + dexamethasone"),
        ],
        "endpoints": [
            ("PFS", TrialEndpoint.Kind.PRIMARY),
            ("OS", TrialEndpoint.Kind.KEY_SECONDARY),
            ("MRD", TrialEndpoint.Kind.KEY_SECONDARY),
            ("ORR", TrialEndpoint.Kind.SECONDARY),
        ],
    },
]

NEWS = [
    {
        "key": "successor-2-topline",
        "date": "topline",  # the demo calendar's (assets/demo_clock.py)
        "title": "Mezigdomide triplet meets its PFS primary endpoint in Phase 3 SUCCESSOR-2",
        "body": (
            "Bristol Myers Squibb said on [TOPLINE_DAY] that SUCCESSOR-2, its Phase 3 trial of mezigdomide with "
            "carfilzomib and dexamethasone (MeziKd) against carfilzomib and dexamethasone (Kd) in relapsed or "
            "refractory multiple myeloma, met its primary endpoint: progression-free survival improved by a "
            "statistically significant margin that the company called clinically meaningful. It is mezigdomide's "
            "first Phase 3 win.\n\n"
            "No figures were released. The detailed results are being kept for a medical conference and will be "
            "shared with regulators; safety was described as consistent with what is known of the drug and the "
            "combination. The study goes on so that overall survival, a key secondary endpoint, can be assessed.\n\n"
            "The news comes about six months after iberdomide, the company's other CELMoD agent, met one of the "
            "two primary endpoints of a Phase 3 trial with daratumumab and dexamethasone. Analysts point to a "
            "head-to-head study of mezigdomide against pomalidomide as the more strategic readout still to come, "
            "and Phase 2 data for golcadomide are expected later in the year."
        ),
        "source": "Company announcement, as reported by the trade press",
        "companies": ["Bristol-Myers Squibb"],
        "assets": ["Mezigdomide", "Iberdomide", "Golcadomide"],
        "trials": ["NCT05552976"],
    },
    {
        "key": "cartitude-4-primary",
        "date": dt.date(2023, 6, 5),
        "title": "CARTITUDE-4: cilta-cel cuts the risk of progression by about three quarters",
        "body": (
            "The Phase 3 CARTITUDE-4 trial randomised 419 patients with lenalidomide-refractory multiple myeloma "
            "and one to three prior lines to a single infusion of ciltacabtagene autoleucel or to the physician's "
            "choice of PVd or DPd. At a median follow-up of about 16 months the hazard ratio for progression or "
            "death was 0.26 (95% CI 0.18 to 0.38); median progression-free survival was 11.8 months with standard "
            "care and not yet reached with cilta-cel. Response, complete response and MRD-negativity rates were all "
            "higher in the cilta-cel arm."
        ),
        "source": "N Engl J Med 2023;389:335-47",
        "url": "https://doi.org/10.1056/NEJMoa2303379",
        "companies": ["Johnson & Johnson"],
        "assets": ["Ciltacabtagene autoleucel"],
        "trials": ["NCT04181827"],
    },
]

EVENTS = [
    ("NCT05552976", "topline", TrialEvent.Kind.TOPLINE, "primary endpoint met", "successor-2-topline"),
    ("NCT04181827", dt.date(2023, 6, 5), TrialEvent.Kind.READOUT, "primary analysis: PFS hazard ratio 0.26",
     "cartitude-4-primary"),
]

CARTITUDE_4_SOURCE = "N Engl J Med 2023;389:335-47 (primary analysis)"
CARTITUDE_4_KNOWN_AT = dt.datetime(2023, 6, 5, 12, 0, tzinfo=dt.timezone.utc)
# (endpoint, metric, value, ci_lower, ci_upper, note)
READOUTS = [
    ("PFS", Readout.Metric.HAZARD_RATIO, 0.26, 0.18, 0.38, "P<0.001"),
    ("PFS", Readout.Metric.MEDIAN_MONTHS_CONTROL, 11.8, None, None, "Not reached in the cilta-cel arm."),
    ("PFS", Readout.Metric.MET_ENDPOINT, 1, None, None, ""),
    ("ORR", Readout.Metric.RATE_EXPERIMENTAL, 84.6, None, None, ""),
    ("ORR", Readout.Metric.RATE_CONTROL, 67.3, None, None, ""),
    ("CR", Readout.Metric.RATE_EXPERIMENTAL, 73.1, None, None, "Complete response or better."),
    ("CR", Readout.Metric.RATE_CONTROL, 21.8, None, None, "Complete response or better."),
    ("MRD", Readout.Metric.RATE_EXPERIMENTAL, 60.6, None, None, ""),
    ("MRD", Readout.Metric.RATE_CONTROL, 15.6, None, None, ""),
]


def assets_demo_load() -> list[str]:
    """Create or update the demo rows and return one summary line per kind of row.

    Safe to run any number of times: every row is found by a natural key first, so a second run creates nothing.
    """
    created: Counter = Counter()
    total: Counter = Counter()
    calendar = demo_calendar()
    text = calendar.text

    def day(value):
        return calendar.topline if value == "topline" else value

    def tally(kind: str, was_created: bool) -> None:
        total[kind] += 1
        created[kind] += was_created

    endpoints = {}
    for code, name, description in ENDPOINTS:
        endpoints[code], was_created = Endpoint.objects.update_or_create(
            code=code, defaults={"name": name, "description": description}
        )
        tally("endpoints", was_created)

    indications = {}
    for name, abbreviation in INDICATIONS:
        indications[name], was_created = Indication.objects.update_or_create(
            name=name, defaults={"abbreviation": abbreviation}
        )
        tally("indications", was_created)

    companies = {}
    for name, website, aliases in COMPANIES:
        company = _find_by_names(Company, [name, *aliases])
        was_created = company is None
        if was_created:
            company = Company.objects.create(name=name, website=website)
        elif not company.website:
            company.website = website
            company.save(update_fields=["website"])
        companies[name] = company
        tally("companies", was_created)
        # An importer may have named the company by one of our aliases: the demo's name becomes an alias then.
        for alias in [name, *aliases]:
            if alias.casefold() == company.name.casefold():
                continue
            _, alias_created = CompanyAlias.objects.get_or_create(
                name__iexact=alias, defaults={"company": company, "name": alias}
            )
            tally("company aliases", alias_created)

    assets = {}
    for spec in ASSETS:
        fields = {
            "sponsor": companies[spec["sponsor"]],
            "mechanism": spec["mechanism"],
            "description": text(spec["description"]),
        }
        asset = _find_by_names(Asset, [spec["name"], *spec["codes"], *spec["other_names"]])
        was_created = asset is None
        if was_created:
            asset = Asset.objects.create(name=spec["name"], **fields)
        else:
            for attr, value in fields.items():
                setattr(asset, attr, value)
            asset.save()
        assets[spec["name"]] = asset
        tally("assets", was_created)
        asset.indications.add(*(indications[name] for name in spec["indications"]))
        for kind, names in ((AssetAlias.Kind.DEVELOPMENT_CODE, spec["codes"]),
                            (AssetAlias.Kind.OTHER_NAME, spec["other_names"])):
            for alias in names:
                _, alias_created = AssetAlias.objects.update_or_create(
                    asset=asset, name__iexact=alias, defaults={"kind": kind},
                    create_defaults={"name": alias, "kind": kind},
                )
                tally("asset aliases", alias_created)
        for order, (emoji, heading, body) in enumerate(spec["commentary"]):
            _, section_created = CommentarySection.objects.update_or_create(
                asset=asset, order=order, defaults={"emoji": emoji, "heading": heading, "body": text(body)}
            )
            tally("commentary sections", section_created)

    trials = {}
    for spec in TRIALS:
        trial = _trial_find(spec)
        was_created = trial is None
        if was_created:
            trial = Trial(registry_id=spec["registry_id"], acronym=spec["acronym"], slug=spec.get("slug", ""))
        trial.title = spec["title"]
        trial.phase = spec["phase"]
        trial.status = spec["status"]
        trial.sponsor = companies[spec["sponsor"]]
        trial.indication = indications[spec["indication"]]
        trial.population = spec["population"]
        trial.enrollment = spec.get("enrollment")
        trial.expected_readout = text(spec["expected_readout"])
        trial.save()
        trial.assets.add(*(assets[name] for name in spec["assets"]))
        trials[spec["registry_id"] or spec["acronym"] or trial.slug] = trial
        tally("trials", was_created)
        for order, (name, role, description) in enumerate(spec["arms"]):
            _, arm_created = Arm.objects.update_or_create(
                trial=trial, name=name, defaults={"role": role, "description": description, "order": order}
            )
            tally("arms", arm_created)
        for order, (code, kind) in enumerate(spec["endpoints"]):
            _, te_created = TrialEndpoint.objects.update_or_create(
                trial=trial, endpoint=endpoints[code], defaults={"kind": kind, "order": order}
            )
            tally("trial endpoints", te_created)

    news = {}
    for spec in NEWS:
        item, was_created, _ = news_item_upsert(
            date=day(spec["date"]), body=text(spec["body"]), title=text(spec["title"]), source=spec["source"],
            url=spec.get("url", ""),
            companies=[companies[name] for name in spec["companies"]],
            assets=[assets[name] for name in spec["assets"]],
            trials=[trials[key] for key in spec["trials"]],
        )
        news[spec["key"]] = item
        tally("news items", was_created)

    for trial_key, date, kind, description, news_key in EVENTS:
        _, was_created = TrialEvent.objects.update_or_create(
            trial=trials[trial_key], date=day(date), kind=kind, description=description,
            defaults={"news": news[news_key]},
        )
        tally("trial events", was_created)

    for code, metric, value, ci_lower, ci_upper, note in READOUTS:
        _, was_created = Readout.objects.update_or_create(
            trial=trials["NCT04181827"], endpoint=endpoints[code], metric=metric, source=CARTITUDE_4_SOURCE,
            defaults={
                "value": value,
                "ci_lower": ci_lower,
                "ci_upper": ci_upper,
                "url": "https://doi.org/10.1056/NEJMoa2303379",
                "known_at": CARTITUDE_4_KNOWN_AT,
                "note": note,
            },
        )
        tally("readouts", was_created)

    lines = [f"Assets demo: {total[kind]} {kind} ({created[kind]} new)" for kind in total]
    lines.append("Assets demo: " + ", ".join(f"{a.name} ({a.sponsor.name})" for a in assets.values()))
    lines.append("Assets demo: trials " + ", ".join(t.name for t in trials.values()))
    return lines


def _find_by_names(model, names: list[str]):
    """The first Company or Asset whose name or alias equals one of ``names`` (ignoring case), or None."""
    for name in names:
        found = model.objects.filter_name_or_alias(name).first()
        if found:
            return found
    return None


def _trial_find(spec: dict) -> Trial | None:
    """The existing trial for a demo spec: by NCT id, else acronym, else slug."""
    for identifier in (spec["registry_id"], spec["acronym"]):
        if identifier:
            trial = Trial.objects.filter_identifier(identifier).first()
            if trial:
                return trial
    if spec.get("slug"):
        return Trial.objects.filter(slug=spec["slug"]).first()
    return None
