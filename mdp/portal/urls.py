from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from mdp.applications import views as applications
from mdp.portal import account_views, dictionary_views, hub_login, views
from mdp.portal.settings import PREFIX

portal = (
    [
        path("", views.home, name="home"),
        path("audit/", views.audit_log, name="audit"),
        path("dictionary/", dictionary_views.index, name="dictionary"),
        path("dictionary.csv", dictionary_views.export_csv, name="dictionary_csv"),
        path("dictionary.xml", dictionary_views.export_ddi, name="dictionary_ddi"),
        path("dictionary/<str:register>/", dictionary_views.register_page, name="dictionary_register"),
        path("dictionary/<str:register>/<str:variable>/", dictionary_views.variable_page, name="dictionary_variable"),
        path("register/", account_views.register, name="register"),
        path("projects/", applications.public_projects, name="public_projects"),
        path("projects/<str:slug>/agreement/", account_views.agreement, name="agreement"),
        path("applications/", applications.my_applications, name="applications"),
        path("applications/new/", applications.new_application, name="application_new"),
        path("applications/<int:pk>/", applications.application, name="application"),
        path("applications/<int:pk>/edit/variables/", applications.variables, name="application_variables"),
        path("applications/<int:pk>/edit/variables/<str:register>/", applications.variables,
             name="application_register"),
        path("applications/<int:pk>/edit/<str:section>/", applications.section, name="application_section"),
        path("applications/<int:pk>/submit/", applications.submit, name="application_submit"),
        path("applications/<int:pk>/request.pdf", applications.download_pdf, name="application_pdf"),
        path("applications/<int:pk>/documents/<int:doc>/", applications.document, name="application_document"),
        path("reviews/", applications.review_queue, name="reviews"),
        path("reviews/<int:pk>/", applications.review, name="review"),
        path("login", hub_login.start, name="login"),
        path("oauth_callback", hub_login.callback, name="oauth_callback"),
        path("logout", hub_login.sign_out, name="logout"),
        path("language", set_language, name="set_language"),
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
