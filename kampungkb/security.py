"""Small security helpers wired in through settings (django-axes, uploads)."""

from django.conf import settings


def client_ip(request) -> str:
    """The client address that login throttling counts failures against.

    Behind the reverse proxy (``BEHIND_TLS_PROXY=true``) every request comes from the proxy,
    so the address is the last one the proxy appended to ``X-Forwarded-For``; earlier
    entries are written by the client and cannot be trusted. Without a proxy it is
    ``REMOTE_ADDR``.
    """
    if getattr(settings, "BEHIND_REVERSE_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "")
