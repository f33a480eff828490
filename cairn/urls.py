from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cairn.api.api import api
from cairn.orgs import views as org_views

urlpatterns = [
    path("", org_views.start, name="start"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("o/<slug:org>/", include("cairn.orgs.urls", namespace="orgs")),
    path("o/<slug:org>/", include("cairn.okrs.urls", namespace="okrs")),
    path("o/<slug:org>/", include("cairn.checkins.urls", namespace="checkins")),
    path("o/<slug:org>/", include("cairn.alignment.urls", namespace="alignment")),
    path("o/<slug:org>/", include("cairn.notifications.urls", namespace="notifications")),
    path("o/<slug:org>/", include("cairn.reporting.urls", namespace="reporting")),
]
