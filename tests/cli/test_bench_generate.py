"""``bench/generate.py`` on an empty database: sealed history that ``audit verify`` accepts,
the counts asked for, and no region paying or passing on more than it received."""

import flask_migrate
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy_continuum import versioning_manager

from bench.generate import main as generate_main
from fundtrack import create_app
from fundtrack.extensions import db
from fundtrack.ledger.balances import fund_balances
from fundtrack.ledger.models import FundBalance
from fundtrack.ledger.postings import COMPONENTS
from fundtrack.models import Allocation, Disbursement, Fund, Region, User
from tests.conftest import DEMO_PASSWORD

PAYMENTS = 300
#: the revision before the balances were kept by the database
BEFORE_KEPT_BALANCES = "7a8756f4cf28"


def _nonzero_rows(session) -> dict:
    return {
        (row.fund_id, row.region_code): tuple(getattr(row, name) for name in COMPONENTS)
        for row in session.scalars(sa.select(FundBalance))
        if any(getattr(row, name) for name in COMPONENTS)
    }


def test_bench_generate_fills_a_verifiable_consistent_province(scratch_database_url):

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": scratch_database_url,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        }
    )
    try:
        with app.app_context():
            flask_migrate.upgrade()
        args = ["--disbursements", str(PAYMENTS), "--seed", "7", "--password", DEMO_PASSWORD]
        result = CliRunner().invoke(generate_main, [*args, "--database-url", scratch_database_url])
        assert result.exit_code == 0, result.output
        runner = app.test_cli_runner()
        verified = runner.invoke(args=["audit", "verify"])
        assert verified.exit_code == 0, verified.output
        assert "audit verify OK" in verified.output

        with app.app_context():
            session = db.session

            def count(model, *where):
                return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

            counties = count(Region, Region.level == "county")
            prefectures = count(Region, Region.level == "prefecture")
            assert (counties, prefectures) == (122, 14)
            assert count(Fund) == 15  # three kinds, 2017–2021
            assert count(Allocation, Allocation.status == "approved") == 15 * (122 + 14)
            assert count(Disbursement, Disbursement.reverses_id.is_(None)) == PAYMENTS
            reversals = count(Disbursement, Disbursement.reverses_id.is_not(None))
            assert reversals == count(Disbursement, Disbursement.status == "reversed")
            assert reversals < PAYMENTS // 20
            assert count(User, User.username == "maker_430481") == 1
            # no one (the generator included) wrote around continuum
            transactions = count(versioning_manager.transaction_cls)
            assert f"{transactions} sealed transactions" in verified.output

            for fund in session.scalars(sa.select(Fund)):
                balances = fund_balances(session, fund)
                negative = {c: b.available_fen for c, b in balances.items() if b.available_fen < 0}
                assert not negative, (fund.code, negative)
                assert all(b.received_fen > 0 for b in balances.values())
            kept = _nonzero_rows(session)
            db.session.remove()

            # years of history upgrade in place: the balance rows are built from the records
            flask_migrate.downgrade(revision=BEFORE_KEPT_BALANCES)
            assert not sa.inspect(db.engine).has_table("fund_balances")
            flask_migrate.upgrade()
            assert _nonzero_rows(db.session) == kept
            db.session.remove()
        verified = runner.invoke(args=["audit", "verify"])
        assert verified.exit_code == 0, verified.output
    finally:
        with app.app_context():
            db.engine.dispose()
