"""Model defaults that pages and the admin rely on."""
import pytest

from assets.models import TrialEndpoint
from assets.selectors import trial_endpoints_queryset
from tests import factories

pytestmark = pytest.mark.django_db


def test_trial_endpoints_list_primary_then_key_secondary_then_secondary_by_default():
    trial, other = factories.TrialFactory(), factories.TrialFactory()
    # Created in an order that neither the kinds' names nor the primary keys would put right.
    for code, kind, order in [("ORR", "secondary", 0), ("OS", "key_secondary", 1), ("MRD", "key_secondary", 0),
                              ("PFS", "primary", 0)]:
        endpoint = factories.EndpointFactory(code=code, name=code)
        TrialEndpoint.objects.create(trial=trial, endpoint=endpoint, kind=kind, order=order)
        TrialEndpoint.objects.create(trial=other, endpoint=endpoint, kind=kind, order=order)
    expected = ["PFS", "MRD", "OS", "ORR"]
    assert [te.endpoint.code for te in trial.trial_endpoints.all()] == expected  # the model's default ordering
    assert [te.endpoint.code for te in trial_endpoints_queryset().filter(trial=trial)] == expected
    assert [te.endpoint.code for te in TrialEndpoint.objects.all()] == expected + expected  # trial, then rank
    assert TrialEndpoint.KIND_RANK == {"primary": 0, "key_secondary": 1, "secondary": 2}
