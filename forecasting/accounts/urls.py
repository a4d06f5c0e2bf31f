from django.contrib.auth import views as auth_views
from django.urls import path

from forecasting.accounts import follow_pages
from forecasting.accounts import views as accounts
from forecasting.accounts.login_views import LockoutClearingPasswordResetConfirmView, ThrottledLoginView

login_view = ThrottledLoginView.as_view()
login_view.throttle_scope = "login"  # rate-limited per address (forecasting.middleware.PageThrottleMiddleware)

urlpatterns = [
    path("signup/", accounts.signup, name="signup"),
    path("verify/<str:token>/", accounts.verify_email, name="verify-email"),
    path("verify-resend/", accounts.verification_resend, name="verification-resend"),
    path("login/", login_view, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", accounts.profile_edit, name="profile-edit"),
    path("token/", accounts.api_token, name="api-token-page"),
    path("following/", follow_pages.following, name="accounts-following"),
    path("follow/<str:kind>/<int:pk>/", follow_pages.follow_toggle, name="follow-toggle"),
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        LockoutClearingPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path(
        "password-change/", auth_views.PasswordChangeView.as_view(), name="password_change"
    ),
    path("password-change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
