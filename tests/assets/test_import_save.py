"""The endpoint write that the profile and ClinicalTrials.gov importers share."""
import pytest

from assets.importers.save import trial_endpoint_save
from assets.models import Endpoint, TrialEndpoint
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_known_code_reuses_the_endpoint_with_that_code():
    pfs = factories.EndpointFactory(code="PFS", name="Progression-free survival")
    trial = factories.TrialFactory()

    trial_endpoint_save(
        trial=trial, code="PFS", name="Progression-free survival", known=True, kind="primary",
        description="PFS per IRC", order=0,
    )

    row = TrialEndpoint.objects.get(trial=trial)
    assert (row.endpoint, row.kind, row.description, row.order) == (pfs, "primary", "PFS per IRC", 0)
    assert Endpoint.objects.count() == 1


def test_a_derived_code_taken_by_another_endpoint_gets_a_suffix_rather_than_merging():
    factories.EndpointFactory(code="TTD", name="Time to deterioration")
    trial = factories.TrialFactory()

    trial_endpoint_save(
        trial=trial, code="TTD", name="Time to discontinuation", known=False, kind="secondary",
        description="Time to treatment discontinuation", order=3,
    )

    row = TrialEndpoint.objects.select_related("endpoint").get(trial=trial)
    assert (row.endpoint.code, row.endpoint.name) == ("TTD2", "Time to discontinuation")
