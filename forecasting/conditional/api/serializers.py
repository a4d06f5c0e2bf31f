"""Serializers of the conditional-pair API (shapes only; the rules are in forecasting.conditional.services)."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from forecasting.conditional.models import ConditionalCommunityPoint, ConditionalForecast, ConditionalScore
from forecasting.conditional.scoring import pair_branch_status
from forecasting.conditional.selectors import pair_revealed


class QuestionBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    slug = serializers.CharField()
    status = serializers.CharField()
    outcome = serializers.FloatField(allow_null=True)


class BranchSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["open", "awaiting", "scored", "annulled"])
    median = serializers.FloatField(allow_null=True, help_text="Community median of P(child | this branch).")
    extremized = serializers.FloatField(allow_null=True)


class PairSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    parent = QuestionBriefSerializer()
    child = QuestionBriefSerializer()
    forecaster_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    branch_note = serializers.SerializerMethodField()
    yes = serializers.SerializerMethodField(help_text="The branch 'if the parent resolves Yes'.")
    no = serializers.SerializerMethodField(help_text="The branch 'if the parent resolves No'.")

    def _latest(self, pair):
        if not pair_revealed(pair):
            return None
        if hasattr(pair, "latest_forecaster_count"):
            return {name: getattr(pair, f"latest_{name}") for name in
                    ("yes_median", "yes_extremized", "no_median", "no_extremized")}
        point = ConditionalCommunityPoint.objects.filter(pair=pair).order_by("-created_at", "-pk").first()
        return None if point is None else {name: getattr(point, name) for name in
                                           ("yes_median", "yes_extremized", "no_median", "no_extremized")}

    def _branch(self, pair, branch) -> dict:
        status = pair_branch_status(pair)
        latest = self._latest(pair) or {}
        return {"status": getattr(status, branch), "median": latest.get(f"{branch}_median"),
                "extremized": latest.get(f"{branch}_extremized")}

    def get_branch_note(self, pair) -> str:
        return pair_branch_status(pair).reason

    @extend_schema_field(BranchSerializer)
    def get_yes(self, pair):
        return self._branch(pair, "yes")

    @extend_schema_field(BranchSerializer)
    def get_no(self, pair):
        return self._branch(pair, "no")


class PairCreateSerializer(serializers.Serializer):
    parent = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The parent binary question's id.")
    child = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The child binary question's id.")


class ConditionalForecastInSerializer(serializers.Serializer):
    p_yes = serializers.FloatField(help_text="P(child Yes | parent Yes), 0.001 to 0.999.")
    p_no = serializers.FloatField(help_text="P(child Yes | parent No), 0.001 to 0.999.")
    rationale = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class ConditionalForecastSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConditionalForecast
        fields = ["id", "pair", "kind", "created_at", "p_yes", "p_no", "rationale"]


class BulkItemSerializer(serializers.Serializer):
    pair = serializers.IntegerField()
    p_yes = serializers.FloatField()
    p_no = serializers.FloatField()
    rationale = serializers.CharField(required=False, allow_blank=True)


class BulkInSerializer(serializers.Serializer):
    forecasts = BulkItemSerializer(many=True)


class BulkOutSerializer(serializers.Serializer):
    forecasts = ConditionalForecastSerializer(many=True)


class ConditionalCommunityPointSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConditionalCommunityPoint
        fields = ["created_at", "forecaster_count", "yes_median", "yes_extremized", "no_median", "no_extremized"]


class ConditionalScoreSerializer(serializers.ModelSerializer):
    username = serializers.SerializerMethodField()

    class Meta:
        model = ConditionalScore
        fields = ["branch", "subject", "username", "loss", "coverage", "relative", "baseline", "peer",
                  "active_seconds", "forecasts_count"]

    def get_username(self, score) -> str | None:
        return score.user.get_username() if score.user_id else None
