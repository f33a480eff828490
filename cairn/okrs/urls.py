from django.urls import path

from cairn.okrs.views import initiatives, key_results, objectives, pages

app_name = "okrs"

urlpatterns = [
    path("", pages.home, name="home"),
    path("teams/<uuid:team>/", pages.team, name="team"),
    path("people/<uuid:person>/", pages.person, name="person"),
    path("objectives/", pages.objectives, name="objectives"),
    path("objectives/new/", objectives.objective_new, name="objective_new"),
    path("objectives/<uuid:objective>/", objectives.objective_detail, name="objective"),
    path("objectives/<uuid:objective>/edit/", objectives.objective_edit, name="objective_edit"),
    path(
        "objectives/<uuid:objective>/delete/",
        objectives.objective_delete,
        name="objective_delete",
    ),
    path("objectives/<uuid:objective>/align/", objectives.objective_align, name="objective_align"),
    path(
        "alignments/<uuid:alignment>/delete/",
        objectives.alignment_delete,
        name="alignment_delete",
    ),
    path(
        "objectives/<uuid:objective>/key-results/new/",
        key_results.key_result_new,
        name="key_result_new",
    ),
    path(
        "key-results/<uuid:key_result>/edit/",
        key_results.key_result_edit,
        name="key_result_edit",
    ),
    path(
        "key-results/<uuid:key_result>/delete/",
        key_results.key_result_delete,
        name="key_result_delete",
    ),
    path(
        "objectives/<uuid:objective>/initiatives/new/",
        initiatives.initiative_new,
        name="initiative_new",
    ),
    path(
        "initiatives/<uuid:initiative>/edit/",
        initiatives.initiative_edit,
        name="initiative_edit",
    ),
    path(
        "initiatives/<uuid:initiative>/defer/",
        initiatives.initiative_defer,
        name="initiative_defer",
    ),
    path(
        "initiatives/<uuid:initiative>/delete/",
        initiatives.initiative_delete,
        name="initiative_delete",
    ),
]
