"""Incentive programme pages: terms, enrolments, accruals, fund claims, payouts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from channelhub.lib.views import AuthedRequest, check_perm, get_for_user, paginate, role_required
from partners.directory import selectors as directory_selectors
from partners.directory.models import Partner
from partners.incentives import services as services

from . import selectors
from .forms import BracketFormSet, ClaimForm, EnrollmentForm, PayoutForm, ProgramForm, brackets_of
from .models import IncentiveProgram, MdfClaim, ProgramEnrollment


def _partners_i_may_change(request: AuthedRequest, program: IncentiveProgram) -> QuerySet[Partner]:
    """Eligible partners the user may claim for (a partner manager: their own)."""
    partners = directory_selectors.visible_partners(user=request.user).filter(
        **({"channel_id": program.channel_id} if program.channel_id else {}),
        **({"tier_id": program.tier_id} if program.tier_id else {}),
    )
    if not request.user.has_perm("partners.decide_mdfclaim"):  # not a budget owner
        partners = partners.filter(manager=request.user)
    return partners.order_by("name")


def _partners_i_may_enrol(request: AuthedRequest, program: IncentiveProgram) -> QuerySet[Partner]:
    """Eligible partners the user may enrol: none unless they run the programme
    (its owner, a marketing manager); a partner manager only their own."""
    if not request.user.has_perm("partners.change_incentiveprogram", program):
        return Partner.objects.none()
    # An offboarded partner takes part in nothing new (incentives.services).
    return _partners_i_may_change(request, program).exclude(status=Partner.Status.OFFBOARDED)


@role_required
def program_list(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "partners.view_incentiveprogram")
    programs = selectors.program_list(user=request.user)
    kind = request.GET.get("kind", "")
    if kind in IncentiveProgram.Kind.values:
        programs = programs.filter(kind=kind)
    page = paginate(request, programs)
    return render(
        request,
        "partners/program_list.html",
        {
            "page": page,
            "programs": page.object_list,
            "kinds": IncentiveProgram.Kind.choices,
            "kind": kind,
        },
    )


def _save_program(request: AuthedRequest, program: IncentiveProgram | None) -> HttpResponse:
    form = ProgramForm(
        request.POST or None,
        instance=program,
        initial=None if program else {"owner": request.user.pk},
        may_assign_owner=request.user.has_perm("partners.assign_incentiveprogram_owner"),
    )
    initial = (
        [{"from_revenue": b.from_revenue, "rate": b.rate} for b in program.brackets.all()]
        if program
        else []
    )
    brackets = BracketFormSet(request.POST or None, initial=initial, prefix="brackets")
    if request.method == "POST" and form.is_valid() and brackets.is_valid():
        try:
            if program is None:
                program = services.program_create(
                    data=form.cleaned_data,
                    brackets=brackets_of(brackets),
                    created_by=request.user,
                    owner=form.cleaned_data.get("owner") or request.user,
                )
                messages.success(
                    request, f"Programme “{program.name}” created. Enrol partners next."
                )
            else:
                program = services.program_update(
                    program=program,
                    data=form.cleaned_data,
                    brackets=brackets_of(brackets),
                    user=request.user,
                )
                messages.success(request, "Terms saved; accruals are being recomputed.")
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            return redirect(program)
    return render(
        request,
        "partners/program_form.html",
        {"form": form, "brackets": brackets, "program": program},
    )


@role_required
def program_create(request: AuthedRequest) -> HttpResponse:
    check_perm(request, "partners.add_incentiveprogram")
    return _save_program(request, None)


@role_required
def program_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    program = get_for_user(
        request,
        selectors.program_list(user=request.user),
        "partners.change_incentiveprogram",
        pk=pk,
    )
    return _save_program(request, IncentiveProgram.objects.get(pk=program.pk))


@role_required
def program_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    program = get_for_user(
        request, selectors.program_list(user=request.user), "partners.view_incentiveprogram", pk=pk
    )
    return _program_page(request, program)


def _program_page(
    request: AuthedRequest, program: IncentiveProgram, *, claim_form: ClaimForm | None = None
) -> HttpResponse:
    """The programme page; with `claim_form`, a refused claim shown with its
    errors next to the fields and what was typed kept."""
    today = timezone.localdate()
    mine = _partners_i_may_change(request, program)
    enrolled = mine.filter(enrollments__program=program)
    can_run = request.user.has_perm("partners.change_incentiveprogram", program)
    rows = selectors.program_partner_totals(program=program, today=today)
    for row in rows:
        row["can_end"] = can_run and request.user.has_perm(
            "partners.change_programenrollment", row["enrollment"]
        )
    is_fund = program.kind == program.Kind.MDF
    if is_fund and claim_form is None:
        claim_form = ClaimForm(partners=enrolled)
    funds_left: list[tuple[Partner, Any]] = []
    if is_fund and claim_form is not None:
        # The rows computed the fund left of every enrolled partner already.
        claimable = set(claim_form.fields["partner"].queryset.values_list("pk", flat=True))  # type: ignore[attr-defined]
        funds_left = [(r["partner"], r["fund_left"]) for r in rows if r["partner"].pk in claimable]
    context: dict[str, Any] = {
        "program": program,
        "can_edit": can_run,
        "can_enrol": can_run,
        "brackets": program.brackets.all(),
        "partners": rows,
        # Rows of the KPI engine (a layer above), through the program's relation.
        "accruals": selectors.program_accruals(program=program),
        "claims": program.claims.select_related("partner", "decided_by").order_by("-created_at")[
            :50
        ],
        "payouts": program.payouts.select_related("partner").order_by("-paid_on")[:50],
        "enroll_form": EnrollmentForm(
            partners=_partners_i_may_enrol(request, program).exclude(enrollments__program=program)
        ),
        "claim_form": claim_form if is_fund else None,
        "funds_left": funds_left,
        "period_label": selectors.mdf_period_label(program, today) if is_fund else "",
        "payout_form": PayoutForm(partners=enrolled),
    }
    return render(request, "partners/program_detail.html", context)


def _posted_partner(request: AuthedRequest) -> Partner | None:
    """The partner a refused form named, to tell "not yours" (403) from a typo."""
    value = request.POST.get("partner", "")
    return Partner.objects.filter(pk=int(value)).first() if value.isdigit() else None


def _form_errors(form: Any) -> str:
    return " ".join(
        f"{k if k != '__all__' else ''} {' '.join(v)}".strip() for k, v in form.errors.items()
    )


@require_POST
@role_required
def enrollment_add(request: AuthedRequest, pk: int) -> HttpResponse:
    # Enrolling is running the programme: its owner's or a marketing manager's.
    program = get_for_user(
        request,
        selectors.program_list(user=request.user),
        "partners.change_incentiveprogram",
        pk=pk,
    )
    form = EnrollmentForm(request.POST, partners=_partners_i_may_enrol(request, program))
    if not form.is_valid():
        asked = _posted_partner(request)
        if "partner" in form.errors and asked is not None:
            check_perm(
                request,
                "partners.add_programenrollment",
                ProgramEnrollment(program=program, partner=asked),
            )
        messages.error(request, _form_errors(form))
        return redirect(program)
    partner = form.cleaned_data["partner"]
    enrollment = ProgramEnrollment(program=program, partner=partner)
    check_perm(request, "partners.add_programenrollment", enrollment)
    try:
        services.enrollment_add(
            program=program,
            partner=partner,
            start_date=form.cleaned_data["start_date"],
            created_by=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{partner.name} enrolled.")
    return redirect(program)


@require_POST
@role_required
def enrollment_end(request: AuthedRequest, pk: int) -> HttpResponse:
    enrollment = get_object_or_404(
        ProgramEnrollment.objects.select_related("program", "partner"), pk=pk
    )
    check_perm(request, "partners.change_programenrollment", enrollment)
    from datetime import date

    try:
        end = date.fromisoformat(request.POST.get("end_date", ""))
        services.enrollment_end(enrollment=enrollment, end_date=end, user=request.user)
    except ValueError:
        messages.error(request, "Give the last day of the enrolment (YYYY-MM-DD).")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{enrollment.partner.name}'s enrolment ends on {end:%Y-%m-%d}.")
    return redirect(enrollment.program)


@require_POST
@role_required
def claim_submit(request: AuthedRequest, pk: int) -> HttpResponse:
    program = get_for_user(
        request, selectors.program_list(user=request.user), "partners.view_incentiveprogram", pk=pk
    )
    form = ClaimForm(request.POST, partners=_partners_i_may_change(request, program))
    if form.is_valid():
        partner = form.cleaned_data["partner"]
        check_perm(request, "partners.add_mdfclaim", partner)
        try:
            services.claim_submit(program=program, created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)  # each message next to its field
        else:
            messages.success(request, "Claim submitted for approval.")
            return redirect(f"{program.get_absolute_url()}#claims")
    elif request.POST.get("partner"):
        # A partner the user may not claim for is refused as such (403), not
        # as a form error; a value that is no partner at all is a form error.
        posted = _posted_partner(request)
        if posted is not None:
            check_perm(request, "partners.add_mdfclaim", posted)
    return _program_page(request, program, claim_form=form)


@require_POST
@role_required
def claim_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(MdfClaim.objects.select_related("program"), pk=pk)
    check_perm(request, "partners.decide_mdfclaim", claim)
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        # Only a press of Approve or Reject decides (never a default).
        messages.error(request, "Nothing was decided: press Approve or Reject.")
        return redirect(claim.program)
    approve = decision == "approve"
    try:
        services.claim_decide(
            claim=claim, approve=approve, user=request.user, note=request.POST.get("note", "")[:300]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Claim approved." if approve else "Claim rejected.")
    return redirect(claim.program)


@require_POST
@role_required
def payout_create(request: AuthedRequest, pk: int) -> HttpResponse:
    program = get_for_user(
        request, selectors.program_list(user=request.user), "partners.view_incentiveprogram", pk=pk
    )
    check_perm(request, "partners.add_incentivepayout", program)
    form = PayoutForm(request.POST, partners=_partners_i_may_change(request, program))
    if form.is_valid():
        try:
            services.payout_record(program=program, recorded_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Payout recorded.")
    else:
        messages.error(request, _form_errors(form))
    return redirect(program)
