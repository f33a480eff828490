from cairn.checkins.views import boards, room, story

app_name = "checkins"

urlpatterns = [*story.urlpatterns, *boards.urlpatterns, *room.urlpatterns]
