from cairn.checkins.views import boards, story

app_name = "checkins"

urlpatterns = [*story.urlpatterns, *boards.urlpatterns]
