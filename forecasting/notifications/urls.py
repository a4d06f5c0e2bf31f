from django.urls import path

from forecasting.notifications import pages

app_name = "notifications"

urlpatterns = [
    path("", pages.notification_list, name="list"),
    path("<int:pk>/read/", pages.notification_read, name="read"),
    path("read-all/", pages.notification_read_all, name="read-all"),
    path("preferences/", pages.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", pages.unsubscribe, name="unsubscribe"),
]
