"""ClinicalTrials.gov API v2 study records (``GET /api/v2/studies/NCT...``) and their importer.

A file holds one study record (an object with ``protocolSection``) or a search response (``{"studies": [...]}``).
The trial is matched by NCT id, else by acronym, and created or updated: title, phase, lead sponsor and indication
(both only when the trial has none), arms with roles, primary and secondary outcome measures as endpoints, and the
registry facts whose history Readout keeps (status, why stopped, dates and enrollment with ACTUAL/ESTIMATED, results,
last update; :mod:`assets.services.registry`). The registry sync (:mod:`assets.services.registry_sync`) saves the
records it fetches the same way. Errors name the line (and column, for JSON syntax) of the offending key.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

from django.utils import timezone

from assets import services
from assets.errors import ValidationError
from assets.importers.common import ImportFileError, ImportResult, decode_text
from assets.importers.endpoints import derive_endpoint
from assets.importers.indications import find_indications
from assets.importers.save import trial_endpoint_save
from assets.models import RegistryField, Trial, TrialRegistryChange
from assets.services.registry import REGISTRY_STATUSES, RegistryUpdate
from assets.validators import MAX_JSON_DEPTH, first_bad_text, json_too_deep, too_deep_message

NCT_ID = re.compile(r"^NCT\d{8}$")
PHASES = {"EARLY_PHASE1": 1, "PHASE1": 1, "PHASE2": 2, "PHASE3": 3, "PHASE4": 4, "NA": None}
STATUSES = REGISTRY_STATUSES
ARM_ROLES = {
    "EXPERIMENTAL": "experimental",
    "ACTIVE_COMPARATOR": "control",
    "PLACEBO_COMPARATOR": "control",
    "SHAM_COMPARATOR": "control",
    "NO_INTERVENTION": "control",
    "OTHER": "other",
}


@dataclass
class ArmRecord:
    name: str
    role: str
    description: str
    interventions: list[str]


@dataclass
class EndpointRecord:
    code: str
    name: str
    kind: str
    measure: str
    known: bool


@dataclass
class StudyRecord:
    line: int
    registry_id: str
    acronym: str = ""
    title: str = ""
    status: str | None = None
    phase: str | None = None
    enrollment: int | None = None
    start_date: dt.date | None = None
    start_precision: str = "day"
    start_actual: bool = False
    primary_completion_date: dt.date | None = None
    sponsor: str = ""
    conditions: list[str] = field(default_factory=list)
    arms: list[ArmRecord] = field(default_factory=list)
    endpoints: list[EndpointRecord] = field(default_factory=list)
    interventions: list[str] = field(default_factory=list)
    registry: dict[str, str] = field(default_factory=dict)  # RegistryField -> the record's text, for the history


def _load_json(filename: str, text: str) -> tuple[object, dict[int, tuple[int, int]]]:
    """Parse JSON, also returning where each object starts and ends in ``text`` (keyed by ``id(obj)``), so that an
    error about a field can name its line. Uses the pure-Python scanner, whose hooks see positions."""
    spans: dict[int, tuple[int, int]] = {}
    decoder = json.JSONDecoder()

    def parse_object(s_and_end, *args):
        obj, end = json.decoder.JSONObject(s_and_end, *args)
        spans[id(obj)] = (s_and_end[1] - 1, end)
        return obj, end

    decoder.parse_object = parse_object
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    if json_too_deep(text, MAX_JSON_DEPTH):
        # The pure-Python scanner recurses per level: a deep file was a RecursionError (a 500 in the admin).
        raise ImportFileError(filename, 1, f"expected a study record: {too_deep_message(MAX_JSON_DEPTH)}")
    try:
        payload = decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise ImportFileError(filename, exc.lineno, f"expected valid JSON: {exc.msg}", column=exc.colno) from None
    except RecursionError:
        raise ImportFileError(filename, 1, f"expected a study record: {too_deep_message(MAX_JSON_DEPTH)}") from None
    bad = first_bad_text(payload)
    if bad:
        # "\u0000" or a lone "\ud800" escape passes decode_text's check of the raw file.
        raise ImportFileError(filename, 1, f"expected text in {bad[0]}, but it {bad[1]}")
    return payload, spans


class _Reader:
    """Field access with errors that name the line of the offending key in the file."""

    def __init__(self, filename: str, text: str, spans: dict[int, tuple[int, int]]):
        self.filename = filename
        self.text = text
        self.spans = spans

    def _children(self, value) -> list[tuple[int, int]]:
        found = []
        items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
        for item in items:
            if isinstance(item, dict) and id(item) in self.spans:
                found.append(self.spans[id(item)])
            elif isinstance(item, list):
                found += self._children(item)
        return found

    def line_of(self, parent: dict, key: str) -> int:
        """The line of ``"key":`` in ``parent`` (not in an object nested inside it), else of ``parent`` itself."""
        start, end = self.spans.get(id(parent), (0, len(self.text)))
        children = self._children(parent)
        for m in re.finditer(r'"' + re.escape(key) + r'"\s*:', self.text[start:end]):
            position = start + m.start()
            if not any(a <= position < b for a, b in children):
                return self.text.count("\n", 0, position) + 1
        return self.text.count("\n", 0, start) + 1

    def fail(self, parent: dict, key: str, message: str):
        raise ImportFileError(self.filename, self.line_of(parent, key), message)

    def obj(self, parent: dict, key: str, path: str, required: bool = False) -> dict:
        value = parent.get(key)
        if value is None:
            if required:
                self.fail(parent, key, f"expected a {path!r} object, found none")
            return {}
        if not isinstance(value, dict):
            self.fail(parent, key, f"expected {path} to be an object, found {type(value).__name__}")
        return value

    def string(self, parent: dict, key: str, path: str) -> str:
        value = parent.get(key, "")
        if value is None:
            return ""
        if not isinstance(value, str):
            self.fail(parent, key, f"expected {path} to be a string, found {json.dumps(value)[:40]}")
        return " ".join(value.split())

    def array(self, parent: dict, key: str, path: str) -> list:
        value = parent.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(parent, key, f"expected {path} to be a list, found {type(value).__name__}")
        return value

    def date(self, parent: dict, key: str, path: str) -> tuple[dt.date | None, str, bool]:
        value, precision, kind, _ = self.date_struct(parent, key, path)
        return value, precision, kind == "ACTUAL"

    def date_struct(self, parent: dict, key: str, path: str) -> tuple[dt.date | None, str, str, str]:
        """A ``{"date": ..., "type": ...}`` struct as ``(date, precision, type, the date as written)``; the type is
        ACTUAL, ESTIMATED or "" when the record gives none."""
        struct = self.obj(parent, key, path)
        raw = self.string(struct, "date", f"{path}.date")
        if not raw:
            return None, "day", "", ""
        kind = self.string(struct, "type", f"{path}.type").upper()
        if kind and kind not in ("ACTUAL", "ESTIMATED"):
            self.fail(struct, "type", f"expected {path}.type to be ACTUAL or ESTIMATED, found {kind!r}")
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
                return dt.date.fromisoformat(raw), "day", kind, raw
            if re.fullmatch(r"\d{4}-\d{2}", raw):
                return dt.date.fromisoformat(raw + "-01"), "month", kind, raw
        except ValueError:
            pass
        self.fail(struct, "date", f"expected {path}.date as YYYY-MM-DD or YYYY-MM, found {raw!r}")


def _regimen(interventions: list[str]) -> str:
    names = []
    for raw in interventions:
        name = re.sub(r"^(?:drug|biological|device|procedure|radiation|other|combination product|dietary supplement|genetic|behavioral)\s*:\s*", "", raw, flags=re.I).strip()
        # generic names as the profiles write them ("carfilzomib + dexamethasone"); codes and "SC" stay as they are
        name = " ".join(w.lower() if w[:1].isupper() and w[1:].islower() else w for w in name.split())
        if name:
            names.append(name)
    return " + ".join(names)


def _arm_name(label: str) -> str:
    label = re.sub(r"^(?:arm|cohort|group|part)\s+[A-Z0-9]{1,3}\s*[:\-\u2013]\s*", "", label, flags=re.I).strip()
    m = re.search(r"\(([^()\s]{1,30})\)\s*$", label)
    if not m:
        return label
    abbreviations = re.findall(r"\(([^()\s]{1,30})\)", label)
    if len(abbreviations) > 1 and re.search(r"\)\s+or\s+", label, re.I):
        return " or ".join(abbreviations)  # "... (DPd) or ... (DVd)": investigator's choice
    return m.group(1)


def _read_study(reader: _Reader, study: dict) -> StudyRecord:
    ps = reader.obj(study, "protocolSection", "protocolSection")
    if not ps:
        raise ImportFileError(
            reader.filename, reader.line_of(study, "protocolSection"),
            "expected a 'protocolSection' object (a ClinicalTrials.gov API v2 study record), found "
            + ("keys " + ", ".join(sorted(study))[:80] if study else "an empty object"),
        )
    ident = reader.obj(ps, "identificationModule", "protocolSection.identificationModule", required=True)
    nct = reader.string(ident, "nctId", "identificationModule.nctId")
    if not NCT_ID.match(nct):
        found = repr(nct) if nct else "none"
        reader.fail(ident, "nctId",
                    f"expected identificationModule.nctId to be an NCT id (NCT followed by 8 digits), found {found}")
    record = StudyRecord(line=reader.line_of(ident, "nctId"), registry_id=nct)
    record.acronym = reader.string(ident, "acronym", "identificationModule.acronym")[:100]
    record.title = reader.string(ident, "briefTitle", "identificationModule.briefTitle") or reader.string(
        ident, "officialTitle", "identificationModule.officialTitle")

    status = reader.obj(ps, "statusModule", "statusModule")
    overall = reader.string(status, "overallStatus", "statusModule.overallStatus")
    if overall:
        if overall.upper() not in STATUSES:
            reader.fail(status, "overallStatus", f"expected statusModule.overallStatus to be one of {', '.join(STATUSES)}, found {overall!r}")
        record.status = STATUSES[overall.upper()]
    facts = record.registry
    facts[RegistryField.OVERALL_STATUS] = overall.upper()
    facts[RegistryField.WHY_STOPPED] = reader.string(status, "whyStopped", "statusModule.whyStopped")
    record.start_date, record.start_precision, start_type, facts[RegistryField.START_DATE] = reader.date_struct(
        status, "startDateStruct", "statusModule.startDateStruct")
    record.start_actual = start_type == "ACTUAL"
    facts[RegistryField.START_DATE_TYPE] = start_type
    for key, value_field, type_field in (
        ("primaryCompletionDateStruct", RegistryField.PRIMARY_COMPLETION_DATE, RegistryField.PRIMARY_COMPLETION_DATE_TYPE),
        ("completionDateStruct", RegistryField.COMPLETION_DATE, RegistryField.COMPLETION_DATE_TYPE),
    ):
        date, _, facts[type_field], facts[value_field] = reader.date_struct(status, key, f"statusModule.{key}")
        if value_field == RegistryField.PRIMARY_COMPLETION_DATE:
            record.primary_completion_date = date
    for key, value_field in (
        ("resultsFirstPostDateStruct", RegistryField.RESULTS_FIRST_POSTED),
        ("lastUpdatePostDateStruct", RegistryField.LAST_UPDATE_POSTED),
    ):
        facts[value_field] = reader.date_struct(status, key, f"statusModule.{key}")[3]
    has_results = study.get("hasResults")
    if has_results is not None and not isinstance(has_results, bool):
        reader.fail(study, "hasResults", f"expected hasResults to be true or false, found {json.dumps(has_results)[:40]}")
    facts[RegistryField.HAS_RESULTS] = "" if has_results is None else "true" if has_results else "false"

    design = reader.obj(ps, "designModule", "designModule")
    numbers = set()
    for phase in reader.array(design, "phases", "designModule.phases"):
        if not isinstance(phase, str) or phase.upper() not in PHASES:
            reader.fail(design, "phases", f"expected designModule.phases to hold {', '.join(PHASES)}, found {json.dumps(phase)}")
        if PHASES[phase.upper()]:
            numbers.add(PHASES[phase.upper()])
    if numbers:
        low, high = min(numbers), max(numbers)
        value = str(low) if low == high else f"{low}/{high}"
        record.phase = value if value in {"1", "1/2", "2", "2/3", "3", "4"} else str(high)
    enrollment = reader.obj(design, "enrollmentInfo", "designModule.enrollmentInfo")
    if "count" in enrollment and enrollment["count"] is not None:
        count = enrollment["count"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            reader.fail(enrollment, "count", f"expected designModule.enrollmentInfo.count to be a whole number, found {json.dumps(count)}")
        record.enrollment = count
        facts[RegistryField.ENROLLMENT] = str(count)
        kind = reader.string(enrollment, "type", "designModule.enrollmentInfo.type").upper()
        if kind and kind not in ("ACTUAL", "ESTIMATED"):
            reader.fail(enrollment, "type", f"expected designModule.enrollmentInfo.type to be ACTUAL or ESTIMATED, found {kind!r}")
        facts[RegistryField.ENROLLMENT_TYPE] = kind

    sponsors = reader.obj(ps, "sponsorCollaboratorsModule", "sponsorCollaboratorsModule")
    lead = reader.obj(sponsors, "leadSponsor", "sponsorCollaboratorsModule.leadSponsor")
    record.sponsor = reader.string(lead, "name", "leadSponsor.name")[:200]
    conditions = reader.obj(ps, "conditionsModule", "conditionsModule")
    record.conditions = [c for c in reader.array(conditions, "conditions", "conditionsModule.conditions") if isinstance(c, str) and c.strip()]

    arms_module = reader.obj(ps, "armsInterventionsModule", "armsInterventionsModule")
    for intervention in reader.array(arms_module, "interventions", "armsInterventionsModule.interventions"):
        if isinstance(intervention, dict):
            record.interventions += [reader.string(intervention, "name", "interventions.name")]
            record.interventions += [n for n in intervention.get("otherNames") or [] if isinstance(n, str)]
    names_seen: set[str] = set()
    for group in reader.array(arms_module, "armGroups", "armsInterventionsModule.armGroups"):
        if not isinstance(group, dict):
            reader.fail(arms_module, "armGroups", "expected each of armsInterventionsModule.armGroups to be an object")
        label = reader.string(group, "label", "armGroups.label")
        if not label:
            reader.fail(group, "label", "expected every arm group to have a label")
        kind = reader.string(group, "type", "armGroups.type").upper() or "OTHER"
        if kind not in ARM_ROLES:
            reader.fail(group, "type", f"expected an arm group type of {', '.join(ARM_ROLES)}, found {kind!r}")
        interventions = [n for n in reader.array(group, "interventionNames", "armGroups.interventionNames") if isinstance(n, str)]
        name = _arm_name(label)[:200]
        while name.casefold() in names_seen:
            name = f"{name} ({len(names_seen) + 1})"
        names_seen.add(name.casefold())
        record.arms.append(ArmRecord(name, ARM_ROLES[kind], _regimen(interventions) or reader.string(group, "description", "description"), interventions))

    outcomes = reader.obj(ps, "outcomesModule", "outcomesModule")
    codes: set[str] = set()
    for key, kind in (("primaryOutcomes", "primary"), ("secondaryOutcomes", "secondary")):
        for outcome in reader.array(outcomes, key, f"outcomesModule.{key}"):
            measure = reader.string(outcome, "measure", f"{key}.measure") if isinstance(outcome, dict) else ""
            if not measure:
                reader.fail(outcome if isinstance(outcome, dict) else outcomes, "measure" if isinstance(outcome, dict) else key, f"expected every entry of outcomesModule.{key} to have a measure")
            spec = derive_endpoint(measure)
            if spec.known and spec.code in codes:
                continue
            codes.add(spec.code)
            record.endpoints.append(EndpointRecord(spec.code, spec.name, kind, measure, spec.known))
    return record


def parse_ctgov(filename: str, data: bytes) -> list[StudyRecord]:
    """Parse a ClinicalTrials.gov JSON file into study records. Pure: no database.
    Errors: :class:`ImportFileError`, with line and column for invalid JSON."""
    text = decode_text(filename, data)
    if not text.strip():
        raise ImportFileError(filename, 1, "expected a ClinicalTrials.gov JSON study record, found an empty file")
    payload, spans = _load_json(filename, text)
    reader = _Reader(filename, text, spans)
    if not isinstance(payload, dict):
        raise ImportFileError(filename, 1, f"expected a JSON object (a study record), found a {type(payload).__name__}")
    if "studies" in payload and "protocolSection" not in payload:
        studies = payload["studies"]
        if not isinstance(studies, list) or not studies:
            reader.fail(payload, "studies", "expected 'studies' to be a non-empty list of study records")
        for study in studies:
            if not isinstance(study, dict):
                reader.fail(payload, "studies", "expected each of 'studies' to be an object")
        return [_read_study(reader, study) for study in studies]
    return [_read_study(reader, payload)]


def import_ctgov(*, filename: str, data: bytes) -> ImportResult:
    """Import every study of a ClinicalTrials.gov JSON file. Idempotent: a file that changes nothing writes nothing
    and reports its rows unchanged. The caller provides the transaction."""
    records = parse_ctgov(filename, data)
    result = ImportResult(filename, "ctgov")
    labels = []
    observed_at = timezone.now()
    for record in records:
        try:
            labels.append(ctgov_study_save(
                record=record, result=result, via=TrialRegistryChange.Via.IMPORT, observed_at=observed_at,
            ).label)
        except ValidationError as exc:
            raise ImportFileError(filename, record.line, f"could not save trial {record.registry_id}: {exc.message}") from None
    result.summary = "; ".join(labels)
    return result


@dataclass
class StudySaved:
    """What saving one study record did."""

    trial: Trial
    created: bool
    changed: bool
    registry: RegistryUpdate
    label: str


def ctgov_study_save(
    *, record: StudyRecord, result: ImportResult, via: str, observed_at: dt.datetime
) -> StudySaved:
    """Save one parsed study: the trial (created when neither its NCT id nor its acronym is known), its arms,
    endpoints and start event, and its registry facts with their history (:func:`services.trial_registry_apply`).

    What the record owns and what it leaves to staff is in docs/registry.md: the sponsor and indication are only
    filled in, arms' regimens only filled in, endpoints only added or ranked higher, assets only added. A record
    that changes nothing writes nothing. The caller provides the transaction. Errors: ValidationError.
    """
    sponsor = None
    if record.sponsor:
        sponsor, created = services.company_get_or_create_by_name(name=record.sponsor, canonical=True)
        result.note(f"company {sponsor.name}", created, False)
    indication = None
    if record.conditions:  # the first condition names the indication
        condition = record.conditions[0]
        found = find_indications(condition)
        name, abbreviation = (found[0].name, found[0].abbreviation) if found else (condition[:1].upper() + condition[1:], "")
        indication, _ = services.indication_get_or_create(name=name[:200], abbreviation=abbreviation)
    assets = []
    for name in record.interventions:
        asset = services.asset_find_by_name(name=name) if name else None
        if asset and asset not in assets:
            assets.append(asset)
    trial, created, changed = services.trial_upsert(
        registry_id=record.registry_id, acronym=record.acronym, title=record.title or None, phase=record.phase,
        sponsor=sponsor, indication=indication, assets=assets, fill_only={"indication", "sponsor"},
    )
    registry = services.trial_registry_apply(
        trial=trial, reading=services.RegistryReading(record.registry), observed_at=observed_at, via=via,
    )
    changed |= registry.changed
    for order, arm in enumerate(record.arms):
        _, _, arm_changed = services.trial_arm_upsert(
            trial=trial, name=arm.name, role=arm.role, description=arm.description, order=order, fill_description=True
        )
        changed |= arm_changed
    for order, ep in enumerate(record.endpoints):
        changed |= trial_endpoint_save(
            trial=trial, code=ep.code, name=ep.name, known=ep.known, kind=ep.kind, description=ep.measure, order=order
        )
    if record.start_date and record.start_actual:
        _, event_created = services.trial_event_add(
            trial=trial, kind="start", date=record.start_date, description="trial started", precision=record.start_precision
        )
        changed |= event_created
    result.note(f"trial {trial}", created, changed)
    label = f"trial {trial}, {len(record.arms)} arms, {len(record.endpoints)} endpoints"
    return StudySaved(trial=trial, created=created, changed=changed, registry=registry, label=label)
