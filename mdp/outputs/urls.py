from django.urls import path

from mdp.outputs import views

app_name = "outputs"
urlpatterns = [
    path("", views.index, name="index"),
    path("new", views.new_request, name="new"),
    path("queue/", views.queue, name="queue"),
    path("<int:pk>/", views.request_page, name="request"),
    path("<int:pk>/files", views.add_file, name="add_file"),
    path("<int:pk>/files/<int:file_id>/", views.file_page, name="file"),
    path("<int:pk>/files/<int:file_id>/raw", views.raw, name="raw"),
    path("<int:pk>/files/<int:file_id>/withdraw", views.withdraw_file, name="withdraw_file"),
    path("<int:pk>/files/<int:file_id>/vote", views.vote, name="vote"),
    path("<int:pk>/release.zip", views.download, name="download"),
    path("<int:pk>/<str:step>", views.step, name="step"),
]
