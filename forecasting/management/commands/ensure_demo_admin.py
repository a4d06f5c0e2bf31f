from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

from forecasting.accounts.models import Profile

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "readout-demo"  # noqa: S105 - a local demo account, printed for the person running it


class Command(BaseCommand):
    help = "Create (or reset) the demo admin account and print its credentials. For local demos only."

    def add_arguments(self, parser):
        parser.add_argument("--site", default="http://127.0.0.1:8000", help="where the site is served, for the message")

    def handle(self, *args, **options):
        user, _ = User.objects.get_or_create(
            username=DEMO_ADMIN_USERNAME, defaults={"email": "admin@readout.local"}
        )
        user.is_staff = True
        user.is_superuser = True
        user.set_password(DEMO_ADMIN_PASSWORD)
        user.save()
        Profile.objects.get_or_create(user=user, defaults={"display_name": "Readout admin"})
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo admin: username '{DEMO_ADMIN_USERNAME}', password '{DEMO_ADMIN_PASSWORD}' "
                f"(log in at {options['site'].rstrip('/')}/admin/)"
            )
        )
