from django.urls import path

from . import views, workflow

app_name = "activities"

urlpatterns = [
    path("", views.ActivityListView.as_view(), name="list"),
    path("baru/", views.ActivityCreateView.as_view(), name="create"),
    path("antrean/", views.VerificationQueueView.as_view(), name="queue"),
    path("<int:pk>/", views.ActivityDetailView.as_view(), name="detail"),
    path("<int:pk>/ubah/", views.ActivityUpdateView.as_view(), name="update"),
    path(
        "<int:pk>/ajukan/",
        views.ActivityTransitionView.as_view(action=workflow.SUBMIT),
        name="submit",
    ),
    path(
        "<int:pk>/verifikasi/",
        views.ActivityTransitionView.as_view(action=workflow.VERIFY),
        name="verify",
    ),
    path(
        "<int:pk>/kembalikan/",
        views.ActivityTransitionView.as_view(action=workflow.RETURN),
        name="return",
    ),
    path(
        "<int:pk>/buka-kembali/",
        views.ActivityTransitionView.as_view(action=workflow.REOPEN),
        name="reopen",
    ),
    # Photo evidence is served through scoped views, never through MEDIA_URL.
    path("foto/<int:pk>/", views.photo_file, name="photo"),
    path("foto/<int:pk>/kecil/", views.photo_file, {"size": "thumb"}, name="photo-thumb"),
    path("publik/foto/<int:pk>/", views.public_photo_file, name="public-photo"),
    path(
        "publik/foto/<int:pk>/kecil/",
        views.public_photo_file,
        {"size": "thumb"},
        name="public-photo-thumb",
    ),
    # Pokja members of a site.
    path("kampung/<int:site_pk>/pokja/", views.MemberListView.as_view(), name="members"),
    path(
        "kampung/<int:site_pk>/pokja/baru/",
        views.MemberCreateView.as_view(),
        name="member-create",
    ),
    path(
        "kampung/<int:site_pk>/pokja/<int:pk>/ubah/",
        views.MemberUpdateView.as_view(),
        name="member-update",
    ),
    path(
        "kampung/<int:site_pk>/pokja/<int:pk>/hapus/",
        views.MemberDeleteView.as_view(),
        name="member-delete",
    ),
]
