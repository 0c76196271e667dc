from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as BaseLoginRequiredMiddleware
from django.middleware.locale import LocaleMiddleware
from django.utils import timezone, translation
from django.utils.cache import has_vary_header, patch_cache_control, patch_vary_headers


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
        response = self.get_response(request)
        session = request.session
        # No cookie, no session: an anonymous visitor never gets a session row from this.
        # A request that never looked at the session (/healthz, a public script) is not the
        # user's activity and reads no session row. Every page asks who the user is (the
        # login check, the menu), so every page view counts. Done after the view: the
        # session middleware above saves the change.
        if session.session_key and session.accessed:
            now = int(timezone.now().timestamp())
            if now - session.get(self.KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
                session[self.KEY] = now  # marks it modified: saved with a new expiry
        return response


class CacheControlMiddleware:
    """``Cache-Control`` for every response that has none: nothing personal is stored.

    * A logged-in user's response, and any download (``Content-Disposition: attachment``):
      ``private, no-store``. No copy stays in the browser of a shared office computer (not
      even for the Back button after logging out) nor in a proxy.
    * An anonymous response that sets a cookie or depends on one: ``private, no-cache``.
      Every page built on ``base.html`` is one: its language switch carries a CSRF token,
      so Django sends the CSRF cookie with it, and a shared cache would hand one visitor's
      cookie to the next. The browser may keep it (no personal data) but asks again
      before reuse, so a login in between is never hidden behind a stale page.
    * Any other anonymous 200 to GET/HEAD (e.g. the JavaScript catalogue): ``public,
      max-age=60``, varying on ``Cookie`` because the language comes from a cookie.

    A view that sets its own header keeps it (photos: activities.views; /healthz; the
    admin's ``never_cache``). Placed above the session, CSRF and message middleware, so
    their cookies and ``Vary`` are on the response when it is classified; static files
    never reach it (WhiteNoise answers them first, with far-future headers).
    """

    PUBLIC_MAX_AGE = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        if self._is_download(response) or self._is_logged_in(request):
            patch_cache_control(response, private=True, no_store=True)
        elif response.cookies or has_vary_header(response, "Cookie"):
            patch_cache_control(response, private=True, no_cache=True)
        elif request.method in ("GET", "HEAD") and response.status_code == 200:
            patch_cache_control(response, public=True, max_age=self.PUBLIC_MAX_AGE)
            patch_vary_headers(response, ["Cookie"])
        return response

    @staticmethod
    def _is_download(response):
        return response.get("Content-Disposition", "").startswith("attachment")

    @staticmethod
    def _is_logged_in(request):
        # Without a session cookie nobody is logged in: no session lookup for that answer.
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return False
        user = getattr(request, "user", None)
        return bool(user and user.is_authenticated)


class LoginRequiredMiddleware(BaseLoginRequiredMiddleware):
    """Django's, asking the view before the user: a public view (``login_not_required``)
    passes without loading the session. Django's asks ``request.user`` first, which reads
    the session on every request and so adds ``Vary: Cookie`` to every response: no
    cookie-free public response (JavaScript catalogue, /healthz) could then be cached, and
    a health probe that sent a session cookie would read the session table."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
