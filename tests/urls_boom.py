"""The portal's URLconf plus a page that fails, for the error page tests."""

from django.urls import path

from kampungkb.urls import urlpatterns as portal_urlpatterns


def boom(request):
    raise RuntimeError("kegagalan uji: SECRET_KEY dan DATABASES tidak boleh tampil")


urlpatterns = [*portal_urlpatterns, path("uji/gagal/", boom)]
