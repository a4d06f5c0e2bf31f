"""Model factories for every app, in one place."""
import datetime as dt

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from assets import models as am
from forecasting.models import Profile


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"forecaster{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def profile(obj, create, extracted, **kwargs):
        if create:
            obj.save()
            Profile.objects.get_or_create(user=obj, defaults={"display_name": obj.username.title()})


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True
    is_superuser = True


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Company
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Company {n}")


class IndicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Indication
        django_get_or_create = ("name",)

    name = "Relapsed/refractory multiple myeloma"
    abbreviation = "RRMM"


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Asset
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Drugomab-{n}")
    sponsor = factory.SubFactory(CompanyFactory)
    description = "An investigational agent."
    mechanism = "CELMoD agent"


class EndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Endpoint
        django_get_or_create = ("code",)

    code = "PFS"
    name = "Progression-free survival"


class TrialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Trial
        skip_postgeneration_save = True

    registry_id = factory.Sequence(lambda n: f"NCT{90000000 + n:08d}")
    acronym = factory.Sequence(lambda n: f"TRIAL-{n}")
    title = "A randomized phase 3 study"
    phase = am.Trial.Phase.PHASE3
    status = am.Trial.Status.ACTIVE_NOT_RECRUITING
    sponsor = factory.SubFactory(CompanyFactory)
    indication = factory.SubFactory(IndicationFactory)

    @factory.post_generation
    def assets(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.assets.set(extracted)


class ArmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Arm

    trial = factory.SubFactory(TrialFactory)
    name = factory.Sequence(lambda n: f"Arm {n}")
    role = am.Arm.Role.EXPERIMENTAL


class NewsItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.NewsItem

    date = dt.date(2026, 3, 9)
    title = "Trial meets primary endpoint"
    body = factory.Sequence(lambda n: f"News body {n}.")
    content_hash = factory.Sequence(lambda n: f"{n:064x}")


class ReadoutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Readout

    trial = factory.SubFactory(TrialFactory)
    endpoint = factory.SubFactory(EndpointFactory)
    metric = am.Readout.Metric.HAZARD_RATIO
    value = 0.64
    source = factory.Sequence(lambda n: f"Conference {n}")
    known_at = factory.LazyFunction(timezone.now)


class QuestionFactory(factory.django.DjangoModelFactory):
    """An open binary question, open since a week ago and closing in thirty days."""

    class Meta:
        model = "markets.Question"

    title = factory.Sequence(lambda n: f"Will trial {n} report a PFS hazard ratio below 0.7?")
    slug = factory.Sequence(lambda n: f"question-{n}")
    type = "binary"
    status = "open"
    resolution_criteria = "Resolves YES if the reported PFS hazard ratio is below 0.7."
    open_time = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=7))
    scheduled_close_time = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=30))


class NumericQuestionFactory(QuestionFactory):
    title = factory.Sequence(lambda n: f"Median PFS in the experimental arm of trial {n}, months?")
    type = "numeric"
    range_min = 0.0
    range_max = 40.0
    unit = "months"
    open_upper_bound = True


class ChoiceQuestionFactory(QuestionFactory):
    """An open multiple-choice question with three options."""

    title = factory.Sequence(lambda n: f"Which meeting presents trial {n} first?")
    type = "multiple_choice"
    options = factory.LazyFunction(lambda: ["ASH", "ASCO", "Another meeting"])
    resolution_criteria = "Resolves to the meeting where the first full presentation is made."
