"""A group of questions on one trial and its ordered members (questions or conditional pairs)."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

__all__ = ["QuestionGroup", "QuestionGroupMember"]


class QuestionGroup(models.Model):
    """A trial's readout questions. Drafts are seen by staff only; ``group_publish`` opens every draft member and
    the group in one transaction."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    trial = models.ForeignKey("assets.Trial", on_delete=models.PROTECT, related_name="question_groups")
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("groups:detail", kwargs={"slug": self.slug})


class QuestionGroupMember(models.Model):
    """One member, in ``order``: a question, or a conditional pair (whose questions are members too).
    ``template`` names the template that generated it (blank for members added by hand)."""

    group = models.ForeignKey(QuestionGroup, on_delete=models.CASCADE, related_name="members")
    order = models.PositiveSmallIntegerField()
    template = models.CharField(max_length=60, blank=True)
    question = models.ForeignKey("markets.Question", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="group_memberships")
    pair = models.ForeignKey("forecasting.ConditionalPair", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="group_memberships")

    class Meta:
        ordering = ["group", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(question__isnull=False) & Q(pair__isnull=True))
                | (Q(question__isnull=True) & Q(pair__isnull=False)),
                name="group_member_question_xor_pair",
            ),
            models.UniqueConstraint(fields=["group", "question"], condition=Q(question__isnull=False),
                                    name="group_member_question_unique"),
            models.UniqueConstraint(fields=["group", "pair"], condition=Q(pair__isnull=False),
                                    name="group_member_pair_unique"),
        ]
