"""Scores, leaderboards and calibration weights (SCORING.md sections 2-5).

Every row here is derived: ``forecasting.scoring.services.scoring`` recomputes a question's rows from its forecasts and
its community series, and ``forecasting.scoring.services.leaderboards`` a scope's entries from the scores; each replaces
its rows in one transaction, so a retried task writes identical rows, and unique constraints make a duplicate impossible
rather than unlikely. Nothing here is imported from other apps' models.
"""
from django.conf import settings
from django.db import models
from django.db.models import ExpressionWrapper, F, Q

__all__ = ["ForecastScore", "LeaderboardEntry", "LeaderboardScope", "QuestionScoring", "Score"]


class ScoreSubject(models.TextChoices):
    FORECASTER = "forecaster", "Forecaster"
    COMMUNITY_MEDIAN = "community_median", "Community median"
    COMMUNITY_EXTREMIZED = "community_extremized", "Extremized aggregate"
    MARKET = "market", "Market price"
    BASE_RATE = "base_rate", "Base rate (reference)"


# How a question's forecasters are listed: those with a loss first (a forecaster whose forecasts all came after the
# close has none), then by relative score, by loss, and by user. Shared by the selector and the index that serves it.
FORECASTER_ORDER = (
    ExpressionWrapper(Q(loss__isnull=True), output_field=models.BooleanField()).asc(),
    F("relative").asc(nulls_last=True),
    F("loss").asc(nulls_last=True),
    F("user").asc(),
    F("id").asc(),
)


class Score(models.Model):
    """The scores of one subject on one resolved question: a forecaster, or an aggregate (user is then null).

    ``loss`` is the time-averaged Brier score (binary) or unit CRPS (numeric) over the part of the window the subject
    had a forecast, in [0, 1], lower is better; null when it had none inside the window (all its forecasts came at or
    after the close). ``relative`` is the relative Brier/CRPS against the community median over the whole window
    (negative beats the crowd). ``baseline`` and ``peer`` are the Metaculus-style log scores (higher is better);
    aggregates have no peer score. ``active_seconds`` = |W_u|, ``coverage`` = |W_u| / |W|.
    """

    Subject = ScoreSubject

    question = models.ForeignKey("markets.Question", on_delete=models.CASCADE, related_name="scores")
    subject = models.CharField(max_length=24, choices=ScoreSubject.choices, default=ScoreSubject.FORECASTER)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="scores"
    )
    loss = models.FloatField(null=True, blank=True, help_text="Time-averaged Brier (binary) or unit CRPS (numeric).")
    coverage = models.FloatField(default=0.0)
    relative = models.FloatField(null=True, blank=True, help_text="Relative Brier/CRPS against the community median.")
    baseline = models.FloatField(null=True, blank=True)
    peer = models.FloatField(null=True, blank=True)
    active_seconds = models.FloatField(default=0.0)
    forecasts_count = models.PositiveIntegerField(default=0, help_text="Forecast rows (or series points) before Te.")
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["question", "subject", "relative", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "user"], condition=Q(user__isnull=False), name="score_forecaster_unique"
            ),
            models.UniqueConstraint(
                fields=["question", "subject"], condition=Q(user__isnull=True), name="score_aggregate_unique"
            ),
            models.CheckConstraint(
                condition=(Q(subject="forecaster") & Q(user__isnull=False))
                | (~Q(subject="forecaster") & Q(user__isnull=True)),
                name="score_user_iff_forecaster",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "question"]),
            # A question page lists the first forecasters in this order: an index scan, not a sort of thousands.
            # PostgreSQL sorts NULLs last in ascending order, so this plain-ASC index serves FORECASTER_ORDER's
            # "NULLS LAST" (written out there for SQLite, which sorts them first and has no NULLS LAST in indexes).
            models.Index(
                F("question"), FORECASTER_ORDER[0], F("relative").asc(), F("loss").asc(), F("user").asc(),
                F("id").asc(), condition=Q(user__isnull=False), name="score_question_forecasters",
            ),
        ]

    def __str__(self):
        who = self.user if self.user_id else self.get_subject_display()
        return f"{who} on question {self.question_id}: {self.loss}"


class ForecastScore(models.Model):
    """Calibration weights of binary forecasts: one row per forecast (or community value) active inside W.

    ``active_fraction`` = the seconds this forecast was active inside W divided by |W| (SCORING.md section 5).
    Forecaster rows point at their Forecast; community-median rows have neither forecast nor user. Written by
    ``question_score`` so the calibration selector is one query plus numpy.
    """

    Subject = ScoreSubject

    question = models.ForeignKey("markets.Question", on_delete=models.CASCADE, related_name="forecast_scores")
    subject = models.CharField(max_length=24, choices=ScoreSubject.choices, default=ScoreSubject.FORECASTER)
    forecast = models.OneToOneField(
        "forecasting.Forecast", on_delete=models.CASCADE, null=True, blank=True, related_name="score"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="forecast_scores"
    )
    probability = models.FloatField()
    active_fraction = models.FloatField()
    outcome = models.PositiveSmallIntegerField()
    # Multiple choice: each option's probability is its own prediction "this option happens" (one row per option,
    # ``forecast`` left empty since it is one-to-one); ``option`` says which, ``outcome`` whether it happened.
    option = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["subject", "user"]), models.Index(fields=["question"])]
        constraints = [
            models.CheckConstraint(condition=Q(outcome__in=[0, 1]), name="forecastscore_outcome_binary"),
        ]


class QuestionScoring(models.Model):
    """Marks that a question's scores are those of its current resolution (``resolved_at`` and ``outcome`` as
    scored). A resolved question without this row, or with one for another resolution, still needs scoring, even
    when nobody forecast it (then it has no Score rows)."""

    question = models.OneToOneField("markets.Question", on_delete=models.CASCADE, related_name="scoring")
    outcome = models.FloatField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    forecasters = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()


class LeaderboardScope(models.Model):
    """One materialized leaderboard: its label, size and when it was rebuilt. Locked while it is rebuilt, so two
    concurrent rebuilds of one scope take turns instead of colliding on the entries' unique constraint."""

    class Kind(models.TextChoices):
        GLOBAL = "global", "All resolved questions"
        SEASON = "season", "Season"
        ASSET = "asset", "Asset"
        TRIAL = "trial", "Trial"
        INDICATION = "indication", "Indication"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    key = models.CharField(max_length=200)
    label = models.CharField(max_length=300, blank=True)
    question_count = models.PositiveIntegerField(default=0)
    entry_count = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "key"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="leaderboard_scope_unique")]

    def __str__(self):
        return f"{self.kind}:{self.key}"


class LeaderboardEntry(models.Model):
    """A forecaster's line on one leaderboard (SCORING.md section 5). ``rank`` orders by ``sum_relative`` (lower is
    better; ties share a rank); ``rank_by_mean`` orders by ``mean_loss`` among forecasters with at least
    READOUT["LEADERBOARD_MIN_QUESTIONS"] questions (null for the others)."""

    Kind = LeaderboardScope.Kind

    scope_kind = models.CharField(max_length=12, choices=LeaderboardScope.Kind.choices)
    scope_key = models.CharField(max_length=200)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leaderboard_entries")
    rank = models.PositiveIntegerField()
    sum_relative = models.FloatField()
    questions = models.PositiveIntegerField()
    mean_loss = models.FloatField()
    mean_coverage = models.FloatField()
    mean_baseline = models.FloatField()
    mean_peer = models.FloatField()
    qualifies_for_mean_ranking = models.BooleanField(default=False)
    rank_by_mean = models.PositiveIntegerField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["scope_kind", "scope_key", "rank", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["scope_kind", "scope_key", "user"], name="leaderboard_entry_unique"),
        ]
        indexes = [
            # Matches the board's ORDER BY exactly, so a page is an index range scan, not a sort of every entry.
            models.Index(fields=["scope_kind", "scope_key", "rank", "-questions", "user"], name="leaderboard_page"),
            models.Index(fields=["scope_kind", "scope_key", "rank_by_mean", "user"], name="leaderboard_mean_page"),
        ]
