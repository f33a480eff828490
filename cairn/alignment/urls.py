from django.urls import path

from cairn.alignment.views import dependencies, maps

app_name = "alignment"

urlpatterns = [
    path("alignment/", maps.alignment_map, name="map"),
    path("alignment/health/", maps.alignment_health, name="health"),
    path(
        "alignment/health/<slug:finding>/",
        maps.alignment_health_finding,
        name="health_finding",
    ),
    path("alignment/teams/<uuid:team>/", maps.alignment_map_team, name="map_team"),
    path("alignment/people/", maps.alignment_map_people, name="map_people"),
    path("teams/<uuid:team>/alignment/", maps.team_alignment, name="team_alignment"),
    path("dependencies/", dependencies.dependency_list, name="dependencies"),
    path(
        "objectives/<uuid:objective>/dependencies/",
        dependencies.objective_dependencies,
        name="objective_dependencies",
    ),
    path(
        "objectives/<uuid:objective>/dependencies/new/",
        dependencies.dependency_new,
        name="dependency_new",
    ),
    path("dependencies/<uuid:dependency>/", dependencies.dependency_detail, name="dependency"),
    path(
        "dependencies/<uuid:dependency>/edit/",
        dependencies.dependency_edit,
        name="dependency_edit",
    ),
    path(
        "dependencies/<uuid:dependency>/move/",
        dependencies.dependency_move,
        name="dependency_move",
    ),
    path(
        "dependencies/<uuid:dependency>/comment/",
        dependencies.dependency_comment,
        name="dependency_comment",
    ),
    path(
        "teams/<uuid:team>/dependencies/",
        dependencies.team_dependencies,
        name="team_dependencies",
    ),
]
