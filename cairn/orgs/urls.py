"""Organization management, mounted at /o/<org>/. Team and person pages live in cairn.okrs."""

from django.urls import path

from cairn.orgs import views, views_tokens

app_name = "orgs"

urlpatterns = [
    path("teams/", views.teams, name="teams"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<uuid:team>/edit/", views.team_edit, name="team_edit"),
    path("teams/<uuid:team>/delete/", views.team_delete, name="team_delete"),
    path("teams/<uuid:team>/members/", views.team_members, name="team_members"),
    path("people/", views.people, name="people"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<uuid:person>/edit/", views.person_edit, name="person_edit"),
    path("periods/", views.periods, name="periods"),
    path("periods/new/", views.period_create, name="period_create"),
    path("periods/next-quarter/", views.period_next_quarter, name="period_next_quarter"),
    path("periods/<uuid:period>/edit/", views.period_edit, name="period_edit"),
    path("periods/<uuid:period>/delete/", views.period_delete, name="period_delete"),
    path("settings/", views.settings, name="settings"),
    path("me/tokens/", views_tokens.api_tokens, name="api_tokens"),
    path("me/tokens/<uuid:token>/revoke/", views_tokens.api_token_revoke, name="api_token_revoke"),
]
