from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KampungKBConfig(AppConfig):
    name = "kampungkb"
    verbose_name = _("Users and access")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from . import bounds  # also registers the <id:…> URL converter
        from .middleware import SlidingSessionMiddleware
        from .roles import post_migrate_sync

        bounds.install()

        post_migrate.connect(post_migrate_sync, dispatch_uid="kampungkb-sync-groups")
        user_logged_in.connect(
            SlidingSessionMiddleware.mark_login, dispatch_uid="kampungkb-session-refreshed"
        )
