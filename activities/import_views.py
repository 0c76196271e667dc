"""Spreadsheet import pages: templates, upload, preview, save or cancel, and the import
history. The rules live in :mod:`activities.imports`; the dry run and the save run as
background jobs (:mod:`activities.tasks`) and the user follows them on the job's page."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, FormView

from kampungkb.exports import xlsx_response
from kampungkb.mixins import ScopedQuerysetMixin

from . import imports, tasks
from .models import OPD, ImportBatch


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"))
    file = forms.FileField(
        label=gettext_lazy("XLSX file"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = imports.available_kinds(user)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size).1f MB; the limit is %(limit)d MB.")
                % {"size": upload.size / 1024 / 1024, "limit": imports.MAX_BYTES // 1024 // 1024}
            )
        self.content = upload.read()
        try:
            # A zip bomb is refused now, from the zip's directory, not after a wait.
            imports.check_unpacked_size(self.content)
        except imports.FileRefused as refused:
            raise forms.ValidationError(refused.message) from None
        return upload


class ImportMixin:
    def dispatch(self, request, *args, **kwargs):
        if not imports.can_import(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ImportView(ImportMixin, FormView):
    form_class = ImportUploadForm
    template_name = "activities/import_start.html"
    history_size = 20

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        return {"kind": self.request.GET.get("kind", "")}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["kinds"] = imports.available_kinds(self.request.user)
        ctx["history"] = ImportBatch.objects.visible_to(self.request.user).select_related(
            "uploaded_by"
        )[: self.history_size]
        ctx["max_rows"] = imports.MAX_ROWS
        ctx["max_mb"] = imports.MAX_BYTES // 1024 // 1024
        return ctx

    def form_valid(self, form):
        try:
            job = tasks.start_check(
                self.request.user,
                form.cleaned_data["kind"],
                form.cleaned_data["file"].name,
                form.content,
            )
        except tasks.ImportAlreadyRunning as exc:
            form.add_error("file", str(exc))
            return self.form_invalid(form)
        return redirect(job)


class ImportDetailView(ScopedQuerysetMixin, DetailView):
    model = ImportBatch
    select_related = ("uploaded_by",)
    template_name = "activities/import_detail.html"
    context_object_name = "batch"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_commit"] = (
            ImportBatch.objects.editable_by(self.request.user).filter(pk=self.object.pk).exists()
        )
        return ctx


def _pending_batch(request, pk):
    batch = get_object_or_404(ImportBatch.objects.visible_to(request.user), pk=pk)
    if not ImportBatch.objects.editable_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied
    return batch


@require_POST
def import_commit(request, pk):
    batch = _pending_batch(request, pk)
    try:
        job = tasks.start_save(request.user, batch)
    except tasks.ImportAlreadyRunning as exc:
        messages.warning(request, str(exc))
        return redirect(exc.job or batch)
    return redirect(job)


@require_POST
def import_cancel(request, pk):
    batch = _pending_batch(request, pk)
    saving = tasks.unfinished_save(request.user, batch)
    if saving is not None:  # the save would overwrite the cancellation
        messages.warning(request, _("This import is being saved; it cannot be cancelled now."))
        return redirect(saving)
    imports.cancel(batch)
    messages.info(request, _("The import was cancelled; nothing was saved."))
    return redirect("coordination:import")


def import_template(request, kind):
    """The XLSX template: a Data sheet with the header row, the instructions, and the
    codes this user may use (their own sites, the agencies, the choices)."""
    if kind not in dict(imports.available_kinds(request.user)):
        raise Http404
    spec = imports.SPECS[kind]
    sites = (
        spec.sites_for(request.user)
        .select_related("kelurahan__kecamatan")
        .order_by("kelurahan__code")
    )
    help_rows = [[c.header, _("yes") if c.required else _("no"), str(c.help)] for c in spec.columns]
    help_rows += [
        [],
        [_("Dates"), "", _("dd/mm/yyyy, e.g. 25/03/2025 (a date cell or text).")],
        [_("Formulas"), "", _("Not allowed: type values only.")],
        [_("Rows"), "", _("At most %(n)s rows per file.") % {"n": imports.MAX_ROWS}],
        [
            _("Saving"),
            "",
            _("Nothing is saved unless every row is valid; the preview lists every error."),
        ],
    ]
    code_rows = [
        [
            "kode_kelurahan",
            s.kelurahan.code,
            f"{s.name} ({s.kelurahan.name}, {s.kelurahan.kecamatan})",
        ]
        for s in sites
    ]
    for column in spec.columns:
        if column.choices is not None:
            code_rows += [
                [column.header, code, str(label)] for code, label in column.choices.choices
            ]
    if any(c.kind in ("agency", "agencies") for c in spec.columns):
        code_rows += [
            ["instansi / mitra", o.short_name or o.name, o.name]
            for o in OPD.objects.active().order_by("name")
        ]
    return xlsx_response(
        f"templat-impor-{kind}.xlsx",
        [
            ("Data", spec.headers, []),
            ("Petunjuk", [_("column"), _("required"), _("what to write")], help_rows),
            ("Kode", [_("column"), _("code"), _("meaning")], code_rows),
        ],
    )


def job_context(user, job) -> dict:
    """What the page of an import job shows besides its state: what is imported, and
    once it ended, the import's outcome (the same block as the import's own page)."""
    kind = job.params.get("import")
    ctx = {
        "import_label": ImportBatch.Kind(kind).label if kind in ImportBatch.Kind.values else "",
        "import_step": (
            _("Saving the rows")
            if job.params.get("step") == tasks.SAVE
            else _("Check before saving")
        ),
    }
    batch_id = job.summary.get("batch") if job.is_finished else None
    batch = (
        ImportBatch.objects.visible_to(user)
        .select_related("uploaded_by")
        .filter(pk=batch_id)
        .first()
        if batch_id
        else None
    )
    if batch is not None:
        ctx["batch"] = batch
        ctx["can_commit"] = ImportBatch.objects.editable_by(user).filter(pk=batch.pk).exists()
    return ctx
