"""Questions and their lifecycle; LMSR markets, trades and the points ledger (markets knows nothing of forecasts)."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from assets.models import Asset, Endpoint, Readout, Trial
from markets.registry_binding import REGISTRY_FIELD_CHOICES, OnTrialStopped, registry_binding_summary


class QuestionQuerySet(models.QuerySet):
    def filter_visible(self):
        """Questions anyone may see: everything but drafts."""
        return self.exclude(status=Question.Status.DRAFT)

    def filter_accepting_forecasts(self, *, at=None):
        at = at or timezone.now()
        return self.filter(status=Question.Status.OPEN, open_time__lte=at, scheduled_close_time__gt=at).filter(
            Q(public_at__isnull=True) | Q(public_at__gt=at)
        )

    def filter_due_to_close(self, *, at=None):
        """Open questions past their scheduled close or their scheduled public moment."""
        at = at or timezone.now()
        return self.filter(status=Question.Status.OPEN).filter(Q(scheduled_close_time__lte=at) | Q(public_at__lte=at))

    def filter_awaiting_resolution(self, *, at=None):
        """Questions whose answer an admin may now enter: closed, or open past their scheduled close (the periodic
        close has not run yet)."""
        at = at or timezone.now()
        return self.filter(
            Q(status__in=[Question.Status.CLOSED, Question.Status.PENDING])
            | Q(status=Question.Status.OPEN, scheduled_close_time__lte=at)
            | Q(status=Question.Status.OPEN, public_at__lte=at)
        )


class Question(models.Model):
    class Type(models.TextChoices):
        BINARY = "binary", "Binary"
        NUMERIC = "numeric", "Numeric"
        DATE = "date", "Date"
        MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        PENDING = "pending", "Answer pending"
        RESOLVED = "resolved", "Resolved"
        ANNULLED = "annulled", "Annulled"

    class Comparator(models.TextChoices):
        LT = "<", "less than"
        LTE = "<=", "at most"
        GT = ">", "greater than"
        GTE = ">=", "at least"
        EQ = "==", "equal to"

    OnTrialStopped = OnTrialStopped

    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=200, unique=True)
    type = models.CharField(max_length=20, choices=Type.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, null=True, blank=True, related_name="questions")
    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, null=True, blank=True, related_name="questions")
    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.PROTECT, null=True, blank=True, related_name="questions"
    )
    description = models.TextField(blank=True)
    resolution_criteria = models.TextField()
    fine_print = models.TextField(blank=True)

    open_time = models.DateTimeField(help_text="T0: forecasting opens; the scoring window starts here.")
    scheduled_close_time = models.DateTimeField(help_text="Tc: forecasting closes at the latest.")
    reveal_time = models.DateTimeField(
        null=True, blank=True, help_text="The community forecast and others' forecasts stay hidden until then."
    )
    public_at = models.DateTimeField(
        null=True, blank=True,
        help_text="Scheduled public moment (embargo lift, presentation): forecasting and trading stop here. "
        "Questions on a trial take the earliest of the trial's public moments.",
    )

    # Numeric questions (SCORING.md section 3). Date questions use the same columns in POSIX seconds (UTC) at whole
    # days, never on a log scale (markets.date_axis, docs/scoring.md "Date questions").
    range_min = models.FloatField(null=True, blank=True)
    range_max = models.FloatField(null=True, blank=True)
    unit = models.CharField(max_length=40, blank=True)
    log_scale = models.BooleanField(default=False)
    open_lower_bound = models.BooleanField(default=False)
    open_upper_bound = models.BooleanField(default=False)

    # Multiple-choice questions (markets.choices): 2-20 distinct option labels; the outcome is an option's index.
    options = models.JSONField(
        null=True, blank=True, help_text="Multiple choice: the option labels, in order (2 to 20). Null otherwise."
    )

    # Optional structured binding used to propose resolutions from readouts: trial + endpoint + metric,
    # compared against a threshold for binary questions; the metric's value itself for numeric ones.
    bound_metric = models.CharField(max_length=40, choices=Readout.Metric.choices, blank=True)
    bound_comparator = models.CharField(max_length=2, choices=Comparator.choices, blank=True)
    bound_threshold = models.FloatField(null=True, blank=True)
    # Optional binding to a ClinicalTrials.gov predicate (markets.registry_binding, docs/resolution.md): binary
    # questions "registry_field becomes one of registry_value by registry_deadline"; the registry sync proposes.
    registry_field = models.CharField(max_length=40, choices=REGISTRY_FIELD_CHOICES, blank=True)
    registry_value = models.CharField(
        max_length=200, blank=True, help_text="Registry spelling; several separated by commas mean any of them.",
    )
    registry_deadline = models.DateField(null=True, blank=True, help_text='D of "by D" (inclusive).')
    on_trial_stopped = models.CharField(
        max_length=10, choices=OnTrialStopped.choices, default=OnTrialStopped.NOTHING,
        help_text="What the registry sync proposes when the trial becomes TERMINATED or WITHDRAWN.",
    )

    # Resolution (set by the resolution services; the event rows keep the history).
    outcome = models.FloatField(
        null=True, blank=True,
        help_text="1 or 0 for binary, the value for numeric, the chosen option's index (0-based) for multiple choice.",
    )
    known_at = models.DateTimeField(null=True, blank=True, help_text="When the answer became public.")
    actual_close_time = models.DateTimeField(null=True, blank=True, help_text="Te = min(Tc, known_at).")
    resolved_at = models.DateTimeField(null=True, blank=True)
    # "Answer pending": a readout bound to the question was entered; nothing is accepted until it is resolved.
    pending_since = models.DateTimeField(null=True, blank=True)
    pending_readout = models.ForeignKey(
        Readout, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="The readout that halted the question (answer pending).",
    )

    forecaster_count = models.PositiveIntegerField(default=0, help_text="Forecasters with a forecast (denormalized).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["scheduled_close_time", "pk"]
        indexes = [
            models.Index(fields=["status", "scheduled_close_time"]),
            # The question list's default order (all statuses but drafts): read in order, stop after a page.
            models.Index(fields=["scheduled_close_time", "id"], name="question_close_order"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(open_time__lt=models.F("scheduled_close_time")), name="question_open_before_close"),
            models.CheckConstraint(
                condition=Q(type__in=["binary", "multiple_choice"])
                | (Q(range_min__isnull=False) & Q(range_max__isnull=False) & Q(range_min__lt=models.F("range_max"))),
                name="question_numeric_range",
            ),
            models.CheckConstraint(
                condition=Q(log_scale=False) | Q(range_min__gt=0), name="question_log_scale_positive_min"
            ),
            models.CheckConstraint(condition=~Q(type="date", log_scale=True), name="question_date_no_log_scale"),
            models.CheckConstraint(
                condition=(Q(type="multiple_choice") & Q(options__isnull=False))
                | (~Q(type="multiple_choice") & Q(options__isnull=True)),
                name="question_options_only_multiple_choice",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("questions:detail", kwargs={"slug": self.slug})

    @property
    def is_binary(self) -> bool:
        return self.type == self.Type.BINARY

    @property
    def is_numeric(self) -> bool:
        return self.type == self.Type.NUMERIC

    @property
    def is_date(self) -> bool:
        """A numeric question on a time axis (range, quantiles and outcome in POSIX seconds, markets.date_axis)."""
        return self.type == self.Type.DATE

    @property
    def is_continuous(self) -> bool:
        """Forecasts are 201-point CDFs over [range_min, range_max] (numeric and date questions)."""
        return self.type in (self.Type.NUMERIC, self.Type.DATE)

    @property
    def is_multiple_choice(self) -> bool:
        return self.type == self.Type.MULTIPLE_CHOICE

    @property
    def open_bound_count(self) -> int:
        return int(self.open_lower_bound) + int(self.open_upper_bound)

    def is_revealed(self, *, at=None) -> bool:
        """Whether the community forecast and others' forecasts may be shown."""
        if self.status in (self.Status.RESOLVED, self.Status.ANNULLED):
            return True
        return self.reveal_time is None or (at or timezone.now()) >= self.reveal_time

    @property
    def forecasting_ends_at(self):
        """When forecasting and trading stop: the scheduled close, or the scheduled public moment if earlier."""
        if self.public_at is not None and self.public_at < self.scheduled_close_time:
            return self.public_at
        return self.scheduled_close_time

    def accepts_forecasts(self, *, at=None) -> bool:
        """Open, past its open time, before its close and before its scheduled public moment (checked here, at the
        moment of the request, so nothing waits for the periodic close)."""
        at = at or timezone.now()
        return self.status == self.Status.OPEN and self.open_time <= at < self.forecasting_ends_at

    def closed_reason(self, *, at=None, action: str = "Forecasting") -> str | None:
        """Why forecasts and trades are refused at ``at`` (None if they are accepted), in words a forecaster reads:
        ``action`` names what stopped ("Forecasting", "Trading")."""
        at = at or timezone.now()
        if self.accepts_forecasts(at=at):
            return None
        S = self.Status
        when = "%d %b %Y, %H:%M UTC"
        if self.status == S.DRAFT:
            return "This question is not published yet."
        if self.status == S.OPEN and at < self.open_time:
            return f"This question opens {self.open_time.strftime(when)}; {action.lower()} has not started."
        if self.status == S.PENDING or (self.status == S.OPEN and self.pending_since):
            since = f" at {self.pending_since.strftime(when)}" if self.pending_since else ""
            what = "a readout was entered"
            if "pending_readout_id" not in self.get_deferred_fields() and self.pending_readout_id is None:
                what = "the trial's registry record changed"  # halted by a registry proposal
            return (f"The answer is pending: {what}{since} and is being confirmed. "
                    f"{action} stopped then.")
        if self.status in (S.OPEN, S.CLOSED) and self.public_at is not None and at >= self.public_at \
                and self.public_at < self.scheduled_close_time:
            return (f"The answer was scheduled to become public at {self.public_at.strftime(when)}; "
                    f"{action.lower()} stopped then.")
        if self.status in (S.OPEN, S.CLOSED) and at >= self.scheduled_close_time:
            return f"This question closed {self.scheduled_close_time.strftime(when)}; {action.lower()} has ended."
        if self.status in (S.OPEN, S.CLOSED):  # closed by staff before its time
            return f"This question was closed early; {action.lower()} has ended."
        return f"This question is {self.get_status_display().lower()}; {action.lower()} has ended."

    @property
    def binding_summary(self) -> str:
        if not (self.trial_id and self.endpoint_id and self.bound_metric):
            return ""
        metric = Readout.Metric(self.bound_metric).label
        if self.is_binary and self.bound_comparator and self.bound_threshold is not None:
            return f"{self.trial.name}, {self.endpoint.code}, {metric} {self.bound_comparator} {self.bound_threshold:g}"
        return f"{self.trial.name}, {self.endpoint.code}, {metric}"

    @property
    def registry_binding_summary(self) -> str:
        """"primary completion ACTUAL by 31 Mar 2027"; "" when the question is not bound to the registry."""
        return registry_binding_summary(self)


# ====================================================================================================================
# Play-money markets and the points ledger (SCORING.md section 6). Money is stored as integers in milli-points
# (1 point = 1,000) and shares as integers in milli-shares; no float is ever stored for money. See docs/ledger.md.
# ====================================================================================================================


class AppendOnlyQuerySet(models.QuerySet):
    """Ledger history is never edited: bulk updates and deletes through the ORM are refused."""

    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only; record a compensating entry instead.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only; record a compensating entry instead.")


class AppendOnlyModel(models.Model):
    """A row that is written once. ``save`` on an existing row and ``delete`` raise TypeError."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only; record a compensating entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only; record a compensating entry instead.")


class Account(models.Model):
    """A holder of points. ``balance`` (milli-points) is the running sum of the account's ledger entries, kept on the
    row so a trade reads and locks one row instead of summing history; ``ledger_check`` verifies the two agree.

    Kinds: one account per user, one per market (holds the reserve and what traders paid), one house account (funds
    market reserves, receives what reserves did not need), and one issuer account, the counterparty of every grant.
    The issuer is the only account allowed below zero: its balance is minus the total ever granted, so every ledger
    transaction sums to zero and the sum over users, markets and house equals the total granted.
    """

    class Kind(models.TextChoices):
        USER = "user", "User"
        MARKET = "market", "Market"
        HOUSE = "house", "House"
        ISSUER = "issuer", "Issuer"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="points_account"
    )
    market = models.OneToOneField(
        "markets.Market", on_delete=models.PROTECT, null=True, blank=True, related_name="account"
    )
    balance = models.BigIntegerField(default=0, help_text="Milli-points (1 point = 1,000).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0) | Q(kind="issuer"), name="account_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=(Q(kind="user") & Q(user__isnull=False) & Q(market__isnull=True))
                | (Q(kind="market") & Q(market__isnull=False) & Q(user__isnull=True))
                | (Q(kind__in=["house", "issuer"]) & Q(user__isnull=True) & Q(market__isnull=True)),
                name="account_owner_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(kind__in=["house", "issuer"]), name="account_single_house_and_issuer"
            ),
        ]

    def __str__(self):
        if self.kind == self.Kind.USER:
            return f"account of {self.user}"
        if self.kind == self.Kind.MARKET:
            return f"account of market {self.market_id}"
        return f"{self.kind} account"


class LedgerTransaction(AppendOnlyModel):
    """One movement of points: a grant, a market's reserve, a trade, a settlement payment or its reversal.

    ``key`` is unique and derived from what the transaction is (``trade:<uuid>``, ``settle:<market>:<round>:<user>``,
    ``grant:start:<user>``), so a retried task that tries to record the same movement again fails on the constraint
    instead of paying twice. Its entries (2 or more) sum to zero. Append-only.
    """

    class Kind(models.TextChoices):
        GRANT = "grant", "Grant"
        RESERVE = "reserve", "Market reserve"
        TRADE = "trade", "Trade"
        PAYOUT = "payout", "Settlement payout"
        REFUND = "refund", "Annulment refund"
        CLAWBACK = "clawback", "Annulment claw-back"
        HOUSE_COVER = "house_cover", "House cover"
        RETURN = "return", "Reserve return"
        REVERSAL = "reversal", "Settlement reversal"
        VOID = "void", "Late trades voided"
        ADVANCE = "advance", "House advance to a market"

    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    created_at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="Who caused it: the trader, the user granted, or the admin who opened the market.",
    )
    market = models.ForeignKey("markets.Market", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reverses = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="For a reversal: the settlement transaction it compensates.",
    )
    memo = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["market", "kind"])]

    def __str__(self):
        return self.key


class LedgerEntry(AppendOnlyModel):
    """One posting: ``amount`` milli-points into (positive) or out of (negative) ``account``. Append-only."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField(help_text="Signed milli-points.")

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["account", "transaction"])]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_not_zero")]

    def __str__(self):
        return f"{self.amount:+d} mp to account {self.account_id}"


class Market(models.Model):
    """An LMSR market on a question (SCORING.md section 6).

    Outcomes: binary markets have n = 2 with index 0 = NO and 1 = YES; numeric markets have n = K contiguous buckets
    of equal width over the question's unit interval, bucket j = [j/K, (j+1)/K), the first and last absorbing
    outcomes below and above the range. ``q`` holds the outstanding shares per outcome as integers in milli-shares;
    ``b`` is the liquidity in points. ``settlement_round`` counts reversals so each settlement uses fresh ledger keys.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        SETTLED = "settled", "Settled"
        REFUNDED = "refunded", "Refunded"

    question = models.OneToOneField(Question, on_delete=models.PROTECT, related_name="market")
    b = models.FloatField(help_text="Liquidity in points.")
    n = models.PositiveSmallIntegerField(help_text="Number of outcomes (2 for binary, K buckets for numeric).")
    q = models.JSONField(help_text="Outstanding shares per outcome, integer milli-shares.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    reserve_millipoints = models.BigIntegerField(help_text="b ln(n) rounded up, drawn from the house at creation.")
    winning_outcome = models.PositiveSmallIntegerField(null=True, blank=True)
    settlement_round = models.PositiveIntegerField(default=0)
    trade_count = models.PositiveIntegerField(default=0)
    prices_at = models.DateTimeField(help_text="When the latest price point was written (trades keep time order).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(b__gt=0), name="market_b_positive"),
            models.CheckConstraint(condition=Q(n__gte=2), name="market_at_least_two_outcomes"),
            models.CheckConstraint(condition=Q(reserve_millipoints__gte=0), name="market_reserve_not_negative"),
        ]

    def __str__(self):
        return f"Market on {self.question}"

    def outcome_label(self, outcome: int) -> str:
        from markets.buckets import outcome_labels  # local: buckets needs the question's scale

        labels = outcome_labels(self)
        return labels[outcome] if 0 <= outcome < len(labels) else str(outcome)


class Position(models.Model):
    """A trader's holding of one outcome. ``shares`` in milli-shares (>= 0); ``cost_basis`` is what the shares still
    held cost, in milli-points (sales remove cost at the average); ``realised`` is the profit booked by sales.

    Settlement leaves positions as they were (the payout follows from them and the winning outcome), so a market's
    outstanding shares always equal the sum of its positions.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="market_positions")
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="positions")
    outcome = models.PositiveSmallIntegerField()
    shares = models.BigIntegerField(default=0, help_text="Milli-shares.")
    cost_basis = models.BigIntegerField(default=0, help_text="Milli-points paid for the shares still held.")
    realised = models.BigIntegerField(default=0, help_text="Milli-points of profit booked by sales.")
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["market", "outcome", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "market", "outcome"], name="position_unique"),
            models.CheckConstraint(condition=Q(shares__gte=0), name="position_shares_not_negative"),
            models.CheckConstraint(condition=Q(cost_basis__gte=0), name="position_cost_basis_not_negative"),
        ]
        indexes = [models.Index(fields=["user", "market"])]


class Trade(AppendOnlyModel):
    """One executed trade. ``shares`` are signed milli-shares (+ buy, - sell); ``cash`` signed milli-points the trader
    paid (+) or received (-). Prices are of the traded outcome just before and after. Append-only."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="market_trades")
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="trades")
    outcome = models.PositiveSmallIntegerField()
    shares = models.BigIntegerField(help_text="Signed milli-shares: positive buys, negative sells.")
    cash = models.BigIntegerField(help_text="Signed milli-points: positive paid by the trader, negative received.")
    budget = models.BigIntegerField(null=True, blank=True, help_text="Milli-points, for a buy by budget.")
    price_before = models.FloatField()
    price_after = models.FloatField()
    created_at = models.DateTimeField(db_index=True)
    transaction = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="trade")

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["market", "created_at"]), models.Index(fields=["user", "created_at"])]
        constraints = [models.CheckConstraint(condition=~Q(shares=0), name="trade_shares_not_zero")]

    @property
    def is_buy(self) -> bool:
        return self.shares > 0


class TradeVoid(AppendOnlyModel):
    """A trade made at or after the moment the answer became public (``Question.known_at``), voided when its market
    settled: the trader got back what they paid, or gave back what they received (``transaction``, one per trader
    and settlement round), and the trade's shares no longer count. A void belongs to one settlement ``round``: when
    the settlement is reversed (unresolve) the market moves to the next round and its trades count again until the
    next settlement decides afresh. Append-only."""

    trade = models.ForeignKey(Trade, on_delete=models.PROTECT, related_name="voids")
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="trade_voids")
    settlement_round = models.PositiveIntegerField()
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="trade_voids",
        help_text="The trader's void transaction for this round (none if nothing could be moved).",
    )
    known_at = models.DateTimeField(help_text="When the answer became public: the trade was made at or after it.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["trade_id"]
        constraints = [models.UniqueConstraint(fields=["trade", "settlement_round"], name="trade_void_unique")]
        indexes = [models.Index(fields=["market", "settlement_round"])]


class PricePoint(AppendOnlyModel):
    """The market's prices (one per outcome, summing to 1) from ``created_at`` until the next point. Written when
    the market opens and after every trade; the series the chart draws and the crowd-versus-market scoring reads."""

    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="price_points")
    created_at = models.DateTimeField()
    prices = models.JSONField()
    trade = models.OneToOneField(Trade, on_delete=models.PROTECT, null=True, blank=True, related_name="price_point")

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["market", "created_at"])]
