"""Serializers of the question-group API."""
from rest_framework import serializers

from forecasting.groups.models import QuestionGroup
from forecasting.resolution.models import ProposedResolution


class GroupSerializer(serializers.ModelSerializer):
    trial = serializers.CharField(source="trial.name")
    trial_slug = serializers.CharField(source="trial.slug")
    member_count = serializers.SerializerMethodField()

    class Meta:
        model = QuestionGroup
        fields = ["id", "slug", "title", "description", "status", "trial", "trial_slug", "created_at", "published_at",
                  "member_count"]

    def get_member_count(self, group) -> int:
        annotated = getattr(group, "member_count", None)  # lists annotate it (one query a page)
        return annotated if annotated is not None else group.members.count()


class MemberSerializer(serializers.Serializer):
    order = serializers.IntegerField(source="member.order")
    template = serializers.CharField(source="member.template")
    question = serializers.IntegerField(source="member.question_id", allow_null=True)
    pair = serializers.IntegerField(source="member.pair_id", allow_null=True)
    kind = serializers.CharField(help_text="binary, numeric, pair, or another question type")
    title = serializers.CharField()
    url = serializers.CharField()
    status = serializers.CharField()
    forecasters = serializers.IntegerField()
    probability = serializers.FloatField(allow_null=True, help_text="Binary: the community median.")
    q10 = serializers.FloatField(allow_null=True)
    q50 = serializers.FloatField(allow_null=True)
    q90 = serializers.FloatField(allow_null=True)
    unit = serializers.CharField()
    yes = serializers.FloatField(allow_null=True, help_text="Pair: the crowd's P(child | parent Yes).")
    no = serializers.FloatField(allow_null=True, help_text="Pair: the crowd's P(child | parent No).")
    yes_status = serializers.CharField()
    no_status = serializers.CharField()


class GroupDetailSerializer(serializers.Serializer):
    group = GroupSerializer()
    members = MemberSerializer(many=True)


class GenerateInSerializer(serializers.Serializer):
    trial = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The trial's id.")
    close_time = serializers.DateTimeField(required=False, help_text="When the members close (default: a year).")
    title = serializers.CharField(required=False, allow_blank=True, max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class SkippedSerializer(serializers.Serializer):
    template = serializers.CharField()
    reason = serializers.CharField()


class GenerateOutSerializer(GroupDetailSerializer):
    skipped = SkippedSerializer(many=True)


class ResultInSerializer(serializers.Serializer):
    endpoint = serializers.CharField(help_text="Endpoint code of the trial, e.g. PFS.")
    metric = serializers.CharField()
    value = serializers.FloatField()
    ci_lower = serializers.FloatField(required=False, allow_null=True)
    ci_upper = serializers.FloatField(required=False, allow_null=True)
    p_value = serializers.FloatField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True)


class GroupReadoutInSerializer(serializers.Serializer):
    source = serializers.CharField(max_length=300, help_text="Conference, abstract or publication.")
    known_at = serializers.DateTimeField(help_text="When the results became public.")
    url = serializers.URLField(required=False, allow_blank=True)
    results = ResultInSerializer(many=True, help_text="Every reported figure, e.g. the PFS hazard ratio.")


class GroupProposalSerializer(serializers.ModelSerializer):
    question_title = serializers.CharField(source="question.title")

    class Meta:
        model = ProposedResolution
        fields = ["id", "question", "question_title", "outcome", "status", "readout"]


class GroupReadoutOutSerializer(serializers.Serializer):
    readouts = serializers.ListField(child=serializers.IntegerField())
    proposals = GroupProposalSerializer(many=True)


class FailedSerializer(serializers.Serializer):
    proposal = serializers.IntegerField()
    reason = serializers.CharField()


class ConfirmOutSerializer(serializers.Serializer):
    confirmed = GroupProposalSerializer(many=True)
    failed = FailedSerializer(many=True)
