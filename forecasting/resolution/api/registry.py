"""Serializers of registry evidence: the ClinicalTrials.gov change a proposal rests on (docs/resolution.md,
"Registry-resolved questions")."""
from rest_framework import serializers

from assets.models import TrialRegistryChange


class RegistryChangeSerializer(serializers.ModelSerializer):
    trial = serializers.CharField(source="trial.name", read_only=True)
    registry_id = serializers.CharField(source="trial.registry_id", read_only=True)

    class Meta:
        model = TrialRegistryChange
        fields = ["id", "trial", "registry_id", "field", "old_value", "new_value", "initial", "observed_at",
                  "registry_posted_on", "via"]
