"""The owner's view of their background jobs: the list ("Tugas saya"), a job's page
(its progress refreshed by htmx polling, or by a plain link) and its result file."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, FormView, ListView

from kampungkb.mixins import ScopedQuerysetMixin
from kampungkb.scopes import get_scope

from .forms import RecomputeForm
from .models import Job
from .services import JobAlreadyRunning, start_job


class JobListView(ListView):
    template_name = "jobs/job_list.html"
    context_object_name = "jobs"
    paginate_by = 20

    def show_all(self):
        # The Dinas may list everyone's jobs; "Tugas saya" is one's own by default.
        return bool(self.request.GET.get("semua")) and get_scope(self.request.user).is_dinas

    def get_queryset(self):
        jobs = Job.objects.visible_to(self.request.user).select_related("owner")
        return jobs if self.show_all() else jobs.filter(owner=self.request.user)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "show_all": self.show_all(),
            "result_days": settings.JOB_RESULT_DAYS,
        }


class JobDetailView(ScopedQuerysetMixin, DetailView):
    model = Job
    context_object_name = "job"
    select_related = ("owner",)

    def get_context_data(self, **kwargs):
        ctx = {**super().get_context_data(**kwargs), "result_days": settings.JOB_RESULT_DAYS}
        if self.object.kind == Job.Kind.IMPORT:
            from activities.import_views import job_context

            ctx.update(job_context(self.request.user, self.object))
        return ctx

    def get_template_names(self):
        # htmx polls the page for its status block only.
        if self.request.htmx:
            return ["jobs/includes/job_status.html"]
        return ["jobs/job_detail.html"]


@require_safe
def job_download(request, pk):
    job = get_object_or_404(Job.objects.visible_to(request.user), pk=pk)
    if not job.result_file:
        raise Http404
    try:
        handle = job.result_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=job.result_name or "hasil")
    # A private file: no shared cache, and no copy left in the browser's.
    response["Cache-Control"] = "private, no-store"
    return response


class RecomputeView(FormView):
    """The Dinas recomputes the quality rows of a range of months as a job (what
    ``manage.py recompute_quality`` does, without a shell on the server)."""

    form_class = RecomputeForm
    template_name = "jobs/recompute_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not get_scope(request.user).is_dinas:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        from reports.tasks import recompute_months_job

        params = {
            "first": form.cleaned_data["first"].strftime("%Y-%m"),
            "last": form.cleaned_data["last"].strftime("%Y-%m"),
        }
        try:
            job = start_job(self.request.user, Job.Kind.RECOMPUTE, params, recompute_months_job)
        except JobAlreadyRunning as exc:
            messages.warning(self.request, str(exc))
            return redirect(exc.job) if exc.job else redirect("jobs:list")
        return redirect(job)
