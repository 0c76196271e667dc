from django.urls import path

from . import views, workflow

app_name = "activities"

urlpatterns = [
    path("", views.ActivityListView.as_view(), name="list"),
    path("baru/", views.ActivityCreateView.as_view(), name="create"),
    path("antrean/", views.VerificationQueueView.as_view(), name="queue"),
    path("<id:pk>/", views.ActivityDetailView.as_view(), name="detail"),
    path("<id:pk>/ubah/", views.ActivityUpdateView.as_view(), name="update"),
    path(
        "<id:pk>/ajukan/",
        views.ActivityTransitionView.as_view(action=workflow.SUBMIT),
        name="submit",
    ),
    path(
        "<id:pk>/verifikasi/",
        views.ActivityTransitionView.as_view(action=workflow.VERIFY),
        name="verify",
    ),
    path(
        "<id:pk>/kembalikan/",
        views.ActivityTransitionView.as_view(action=workflow.RETURN),
        name="return",
    ),
    path(
        "<id:pk>/buka-kembali/",
        views.ActivityTransitionView.as_view(action=workflow.REOPEN),
        name="reopen",
    ),
    # Photo evidence is served through scoped views, never through MEDIA_URL.
    path("foto/<id:pk>/", views.photo_file, name="photo"),
    path("foto/<id:pk>/kecil/", views.photo_file, {"size": "thumb"}, name="photo-thumb"),
    path("publik/foto/<id:pk>/", views.public_photo_file, name="public-photo"),
    path(
        "publik/foto/<id:pk>/kecil/",
        views.public_photo_file,
        {"size": "thumb"},
        name="public-photo-thumb",
    ),
    # Pokja members of a site.
    path("kampung/<id:site_pk>/pokja/", views.MemberListView.as_view(), name="members"),
    path(
        "kampung/<id:site_pk>/pokja/baru/",
        views.MemberCreateView.as_view(),
        name="member-create",
    ),
    path(
        "kampung/<id:site_pk>/pokja/<id:pk>/ubah/",
        views.MemberUpdateView.as_view(),
        name="member-update",
    ),
    path(
        "kampung/<id:site_pk>/pokja/<id:pk>/hapus/",
        views.MemberDeleteView.as_view(),
        name="member-delete",
    ),
]
