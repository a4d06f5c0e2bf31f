"""Read-only serializers for the assets API. Nested objects rely on the prefetches of ``assets.selectors``."""
from rest_framework import serializers

from assets.models import (
    Arm,
    Asset,
    AssetAlias,
    CommentarySection,
    Company,
    Endpoint,
    Indication,
    NewsItem,
    Readout,
    Trial,
    TrialEndpoint,
    TrialEvent,
)


class CompanyRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = ["id", "name", "slug"]


class CompanySerializer(serializers.ModelSerializer):
    aliases = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="name", help_text="Other names of the company, e.g. BMS."
    )

    class Meta:
        model = Company
        fields = ["id", "name", "slug", "website", "aliases"]


class IndicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indication
        fields = ["id", "name", "abbreviation", "slug"]


class EndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = Endpoint
        fields = ["id", "code", "name", "description"]


class AssetAliasSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssetAlias
        fields = ["name", "kind"]


class CommentarySectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommentarySection
        fields = ["order", "emoji", "heading", "body"]


class AssetSerializer(serializers.ModelSerializer):
    sponsor = CompanyRefSerializer(read_only=True)
    aliases = AssetAliasSerializer(many=True, read_only=True)
    commentary = CommentarySectionSerializer(many=True, read_only=True)
    indications = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="slug", help_text="Slugs of the asset's indications."
    )
    trials = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Ids of the trials testing the asset."
    )
    page_url = serializers.CharField(source="get_absolute_url", read_only=True, help_text="The asset's web page.")

    class Meta:
        model = Asset
        fields = [
            "id",
            "name",
            "slug",
            "sponsor",
            "mechanism",
            "description",
            "aliases",
            "indications",
            "commentary",
            "trials",
            "page_url",
            "updated_at",
        ]


class ArmSerializer(serializers.ModelSerializer):
    class Meta:
        model = Arm
        fields = ["name", "role", "description", "order"]


class TrialEndpointSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="endpoint.code", read_only=True)
    name = serializers.CharField(source="endpoint.name", read_only=True)

    class Meta:
        model = TrialEndpoint
        fields = ["code", "name", "kind", "description", "order"]


class TrialEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrialEvent
        fields = ["date", "date_precision", "kind", "description", "news"]


class ReadoutSerializer(serializers.ModelSerializer):
    endpoint = serializers.CharField(source="endpoint.code", read_only=True, help_text="Endpoint code, e.g. PFS.")

    class Meta:
        model = Readout
        fields = [
            "id",
            "endpoint",
            "metric",
            "value",
            "ci_lower",
            "ci_upper",
            "p_value",
            "experimental_value",
            "control_value",
            "source",
            "url",
            "known_at",
            "note",
        ]


class TrialSerializer(serializers.ModelSerializer):
    """A trial as listed: identity, design summary and links."""

    sponsor = CompanyRefSerializer(read_only=True, allow_null=True)
    indication = IndicationSerializer(read_only=True, allow_null=True)
    assets = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="slug", help_text="Slugs of the assets the trial tests."
    )
    page_url = serializers.CharField(source="get_absolute_url", read_only=True, help_text="The trial's web page.")

    class Meta:
        model = Trial
        fields = [
            "id",
            "registry_id",
            "acronym",
            "slug",
            "title",
            "phase",
            "status",
            "sponsor",
            "indication",
            "assets",
            "enrollment",
            "start_date",
            "primary_completion_date",
            "expected_readout",
            "page_url",
            "updated_at",
        ]


class TrialDetailSerializer(TrialSerializer):
    """A trial in full: population, arms, endpoints, timeline events and the readouts already public."""

    arms = ArmSerializer(many=True, read_only=True)
    endpoints = TrialEndpointSerializer(source="trial_endpoints", many=True, read_only=True)
    events = TrialEventSerializer(many=True, read_only=True)
    readouts = ReadoutSerializer(
        source="public_readouts",
        many=True,
        read_only=True,
        help_text="Reported results whose known_at has passed; embargoed readouts are not shown.",
    )

    class Meta(TrialSerializer.Meta):
        fields = TrialSerializer.Meta.fields + ["population", "arms", "endpoints", "events", "readouts"]


class NewsItemSerializer(serializers.ModelSerializer):
    companies = serializers.PrimaryKeyRelatedField(many=True, read_only=True, help_text="Ids of linked companies.")
    assets = serializers.PrimaryKeyRelatedField(many=True, read_only=True, help_text="Ids of linked assets.")
    trials = serializers.PrimaryKeyRelatedField(many=True, read_only=True, help_text="Ids of linked trials.")

    class Meta:
        model = NewsItem
        fields = ["id", "date", "title", "body", "source", "url", "companies", "assets", "trials"]
