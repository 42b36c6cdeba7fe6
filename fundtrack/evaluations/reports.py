"""The evaluation report as a PDF."""

from __future__ import annotations

from fundtrack.evaluations.models import DIMENSIONS, TIERS, Evaluation
from fundtrack.evaluations.operations import fund_use
from fundtrack.extensions import db
from fundtrack.reports.pdf import render_pdf, send_pdf


def send_evaluation_report(evaluation):
    data = render_pdf(
        "evaluation.html",
        about=(Evaluation, evaluation.id),
        evaluation=evaluation,
        fund_use=fund_use(db.session, evaluation),
        tiers=TIERS,
        dimensions=DIMENSIONS,
    )
    name = f"evaluation-{evaluation.fund.code}-{evaluation.region_code}.pdf"
    return send_pdf(data, name, f"绩效自评报告 #{evaluation.id}")
