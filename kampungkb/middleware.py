from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import timezone, translation


class PortalLocaleMiddleware(LocaleMiddleware):
    """Indonesian unless the user chose English with the language switch.

    Django's LocaleMiddleware follows the browser's Accept-Language, so a phone set to
    English would get the English UI; the portal's language is Indonesian and English is
    an explicit choice (stored in the language cookie by ``set_language``).
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class SlidingSessionMiddleware:
    """Push a logged-in session's expiry forward at most once per ``SESSION_REFRESH_SECONDS``.

    ``SESSION_SAVE_EVERY_REQUEST`` would give the same sliding two-hour expiry, but with a
    database write and commit on every page view (about 3 ms each, and lock traffic on the
    session table under load). Refreshing every few minutes moves the end of an idle session
    by at most that much: with the defaults it ends between 1 h 55 and 2 h after the last
    request.
    """

    KEY = "_refreshed"

    def __init__(self, get_response):
        self.get_response = get_response

    @classmethod
    def mark_login(cls, sender, request, user, **kwargs):
        # The login writes the session anyway: the first page view after it need not.
        if request is not None and hasattr(request, "session"):
            request.session[cls.KEY] = int(timezone.now().timestamp())

    def __call__(self, request):
        session = request.session
        # No cookie, no session: an anonymous visitor never gets a session row from this.
        if session.session_key:
            now = int(timezone.now().timestamp())
            if now - session.get(self.KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
                session[self.KEY] = now  # marks it modified: saved with a new expiry
        return self.get_response(request)
