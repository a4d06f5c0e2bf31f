"""Discussion API shapes. Output serializers read ``CommentView`` objects (forecasting.discussion.selectors), so what
a client sees of a comment is decided once, for pages and API alike."""
from rest_framework import serializers

from forecasting.discussion.services import MAX_BODY_LENGTH, MAX_REASON_LENGTH


class TextField(serializers.CharField):
    """A CharField that takes only JSON strings (DRF's turns 5 into "5")."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CommentCreateSerializer(serializers.Serializer):
    body = TextField(
        trim_whitespace=False, allow_blank=True,
        help_text=f"Markdown, 1 to {MAX_BODY_LENGTH:,} characters after trimming. Raw HTML is shown as text.",
    )
    forecast = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
        help_text="Attach one of your own forecasts on this question (its id; not a withdrawal).",
    )


class CommentEditSerializer(serializers.Serializer):
    body = TextField(trim_whitespace=False, allow_blank=True,
                                 help_text="The new Markdown text.")


class ReasonSerializer(serializers.Serializer):
    reason = TextField(
        required=False, allow_blank=True, default="", trim_whitespace=False, max_length=MAX_REASON_LENGTH * 2,
        help_text=f"Why (at most {MAX_REASON_LENGTH} characters); required to hide a comment.",
    )


class AuthorSerializer(serializers.Serializer):
    username = serializers.CharField(source="author_username", help_text="Empty for a deleted comment.")
    display_name = serializers.CharField(source="author_name")
    url = serializers.CharField(source="author_url", help_text="The author's profile page.")


class ForecastChipSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shown = serializers.BooleanField(
        help_text="False while the question's community forecast is hidden and you are not the author or staff: "
                  "the values are then null."
    )
    text = serializers.CharField(help_text='"35%", "median 0.72 (10–90%: 0.55–0.9)" or "forecast attached (shown '
                                           'after ...)".')
    created_at = serializers.DateTimeField()
    probability = serializers.FloatField(allow_null=True)
    median = serializers.FloatField(allow_null=True)
    q10 = serializers.FloatField(allow_null=True)
    q90 = serializers.FloatField(allow_null=True)
    reveal_time = serializers.DateTimeField(allow_null=True)


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    question = serializers.IntegerField(source="comment.question_id", allow_null=True)
    trial = serializers.IntegerField(source="comment.trial_id", allow_null=True)
    parent = serializers.IntegerField(source="comment.parent_id", allow_null=True)
    author = AuthorSerializer(source="*")
    state = serializers.ChoiceField(choices=["visible", "hidden", "deleted"])
    body = serializers.SerializerMethodField(help_text="The Markdown as typed; null when not shown to you.")
    html = serializers.SerializerMethodField(help_text="The body rendered and sanitized; null when not shown.")
    hidden_reason = serializers.SerializerMethodField(help_text="Why a moderator hid it (staff and the author).")
    created_at = serializers.DateTimeField(source="comment.created_at")
    edited_at = serializers.DateTimeField(source="comment.edited_at", allow_null=True)
    forecast = ForecastChipSerializer(allow_null=True)
    can_edit = serializers.BooleanField()
    can_delete = serializers.BooleanField()
    can_reply = serializers.BooleanField()
    edit_until = serializers.DateTimeField(allow_null=True, help_text="For the author: the end of the edit window.")

    def get_body(self, view) -> str | None:
        return view.body if view.show_text else None

    def get_html(self, view) -> str | None:
        return view.html if view.show_text else None

    def get_hidden_reason(self, view) -> str | None:
        return view.comment.hidden_reason if view.state == "hidden" and view.show_text else None


class ThreadSerializer(CommentSerializer):
    replies = CommentSerializer(many=True, help_text="Replies, oldest first (deleted ones left out).")


class LockSerializer(serializers.Serializer):
    locked = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    locked_at = serializers.DateTimeField(allow_null=True)
