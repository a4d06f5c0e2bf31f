"""A trial shaped like the demo's SUCCESSOR-2: PFS primary; OS, ORR, MRD key secondary; two arms."""
from assets.models import Arm, Endpoint, Indication, TherapeuticArea, TrialEndpoint
from tests import factories


def successor_like_trial(acronym="SUCCESSOR-9"):
    indication, _ = Indication.objects.get_or_create(
        name="Relapsed/refractory multiple myeloma",
        defaults={"abbreviation": "RRMM", "therapeutic_area": TherapeuticArea.HEMATOLOGIC_CANCER},
    )
    indication.therapeutic_area = TherapeuticArea.HEMATOLOGIC_CANCER
    indication.save()
    trial = factories.TrialFactory(acronym=acronym, indication=indication)
    names = {"PFS": "Progression-free survival", "OS": "Overall survival", "ORR": "Overall response rate",
             "MRD": "Minimal residual disease negativity"}
    kinds = {"PFS": TrialEndpoint.Kind.PRIMARY}
    for order, (code, name) in enumerate(names.items()):
        endpoint, _ = Endpoint.objects.get_or_create(code=code, defaults={"name": name})
        TrialEndpoint.objects.create(trial=trial, endpoint=endpoint, order=order,
                                     kind=kinds.get(code, TrialEndpoint.Kind.KEY_SECONDARY))
    Arm.objects.create(trial=trial, name="MeziKd", role=Arm.Role.EXPERIMENTAL, order=0,
                       description="Mezigdomide + carfilzomib + dexamethasone")
    Arm.objects.create(trial=trial, name="Kd", role=Arm.Role.CONTROL, order=1,
                       description="Carfilzomib + dexamethasone")
    return trial
