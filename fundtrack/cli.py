"""``flask --app fundtrack …`` commands. A failing command rolls back and exits non-zero."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from fundtrack.audit.chain import Finding, head, verify_chain, verify_live_rows
from fundtrack.core.errors import DomainError
from fundtrack.core.versioning import acting_as, set_action
from fundtrack.demo import load_demo
from fundtrack.extensions import db
from fundtrack.ledger.verify import verify_balances
from fundtrack.reference import load_reference_data
from fundtrack.users.operations import create_user


def _fail(exc: DomainError) -> None:
    db.session.rollback()
    details = f" {exc.details}" if exc.details else ""
    raise click.ClickException(f"{exc.message}{details}")


reference_cli = AppGroup("reference", help="Shipped reference data (regions, categories, …).")


@reference_cli.command("load")
def reference_load():
    """Load or refresh Hunan's regions, fund kinds, categories and benefit rules."""
    with acting_as(None):
        set_action(db.session, "加载参考数据")  # zh-only: stored audit action
        written = load_reference_data(db.session)
    db.session.commit()
    click.echo("reference data: " + ", ".join(f"{k} {v} written" for k, v in written.items()))


users_cli = AppGroup("users", help="User accounts.")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "maker", "checker", "auditor"]))
@click.option("--region", "region_code", required=True, help="GB/T 2260 code, e.g. 430481")
@click.option("--display-name", default=None)
@click.password_option("--password", help="at least 10 characters, letters and digits")
def users_create(username, role, region_code, display_name, password):
    """Add a user."""
    try:
        with acting_as(None):
            set_action(db.session, f"创建用户 {username}")  # zh-only: stored audit action
            user = create_user(
                db.session,
                username=username,
                password=password,
                role=role,
                region_code=region_code,
                display_name=display_name,
            )
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"created user {user.username} ({user.role}, {user.region_code})")


@click.command("demo")
@click.option("--password", required=True, help="password for every demo user")
@with_appcontext
def demo_command(password):
    """Load the demo data of the 2018 report and the demo users (idempotent)."""
    try:
        summary = load_demo(db.session, password)
    except DomainError as exc:
        _fail(exc)
    for line in summary:
        click.echo(line)


audit_cli = AppGroup("audit", help="The audit trail's hash chain.")


@audit_cli.command("verify")
def audit_verify():
    """Walk the hash chain, compare every live record with its newest version and every
    kept balance with the balance recomputed from the records.

    Exits 0 when everything agrees; 1, naming the first transaction, record or balance that
    does not, otherwise.
    """
    connection = db.session.connection()
    links, finding = verify_chain(connection)
    if finding is None:
        records, finding = verify_live_rows(connection)
    if finding is None:
        balances, difference = verify_balances(db.session)
        finding = None if difference is None else Finding("balance", difference)
    db.session.rollback()
    if finding is not None:
        click.echo(f"audit verify FAILED: {finding}", err=True)
        raise SystemExit(1)
    click.echo(
        f"audit verify OK: {links} sealed transactions, {records} live records and "
        f"{balances} kept balances agree"
    )


@audit_cli.command("head")
def audit_head():
    """Print the newest link of the chain (position and hash), to keep outside the database."""
    current = head(db.session.connection())
    db.session.rollback()
    if current is None:
        click.echo("empty chain")
    else:
        click.echo(f"{current[0]} {current[1]}")


def register_commands(app: Flask) -> None:
    app.cli.add_command(audit_cli)
    app.cli.add_command(reference_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
