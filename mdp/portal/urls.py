from django.contrib import admin
from django.urls import include, path

from mdp.portal import dictionary_views, hub_login, views
from mdp.portal.settings import PREFIX

portal = (
    [
        path("", views.home, name="home"),
        path("audit/", views.audit_log, name="audit"),
        path("dictionary/", dictionary_views.index, name="dictionary"),
        path("dictionary.csv", dictionary_views.export_csv, name="dictionary_csv"),
        path("dictionary/<str:register>/", dictionary_views.register_page, name="dictionary_register"),
        path("dictionary/<str:register>/<str:variable>/", dictionary_views.variable_page, name="dictionary_variable"),
        path("login", hub_login.start, name="login"),
        path("oauth_callback", hub_login.callback, name="oauth_callback"),
        path("logout", hub_login.sign_out, name="logout"),
    ],
    "portal",
)

admin.site.site_header = "Microdata Platform administration"
admin.site.login = lambda request, extra_context=None: hub_login.start(request)  # sign in through the hub only

urlpatterns = [
    path(PREFIX.lstrip("/") + "admin/", admin.site.urls),
    path(PREFIX.lstrip("/"), include(portal)),
    path(PREFIX.lstrip("/") + "outputs/", include("mdp.outputs.urls")),
]
