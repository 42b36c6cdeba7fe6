"""The evaluation report as a PDF."""

from __future__ import annotations

import io

from flask import send_file

from fundtrack.evaluations.models import DIMENSIONS, TIERS
from fundtrack.evaluations.operations import fund_use
from fundtrack.extensions import db
from fundtrack.reports.pdf import render_pdf


def send_evaluation_report(evaluation):
    data = render_pdf(
        "evaluation.html",
        evaluation=evaluation,
        fund_use=fund_use(db.session, evaluation),
        tiers=TIERS,
        dimensions=DIMENSIONS,
    )
    name = f"evaluation-{evaluation.fund.code}-{evaluation.region_code}.pdf"
    return send_file(io.BytesIO(data), mimetype="application/pdf", download_name=name)
