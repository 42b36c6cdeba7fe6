"""``flask --app fundtrack …`` commands. A failing command rolls back and exits non-zero."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from fundtrack.audit import signing, witness
from fundtrack.audit.chain import Finding, verify_chain, verify_live_rows
from fundtrack.audit.tree import check_tree
from fundtrack.beneficiaries.operations import set_publicity_rule
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


@reference_cli.command("publicity")
@click.argument("category")
@click.option("--required/--not-required", required=True, help="paid only after a 公示, or not")
@click.option("--reason", required=True, help="why (kept in the category's history)")
def reference_publicity(category, required, reason):
    """Whether a category is a personal benefit paid only after a 公示 (项目扶持: not)."""
    try:
        with acting_as(None):
            set_publicity_rule(db.session, category, required, reason)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    state = "needs" if required else "does not need"
    click.echo(f"{category} {state} a public listing before it is paid")


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
@click.option(
    "--witness",
    "witness_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=True, path_type=Path),
    help="A file of signed heads, one JSON per line (may repeat); AUDIT_DIGEST_DIR is read too.",
)
def audit_verify(witness_files):
    """Walk the hash chain and the Merkle tree over it, compare every live record with its
    newest version, every kept balance with the balance recomputed from the records, and
    today's tree with every signed head kept outside the database.

    Exits 0 when everything agrees; 1, naming the first transaction, record, balance or
    witness that does not, otherwise.
    """
    connection = db.session.connection()
    sources = list(witness_files)
    if current_app.config.get("AUDIT_DIGEST_DIR"):
        directory = Path(current_app.config["AUDIT_DIGEST_DIR"])
        if directory.is_dir():
            sources.append(directory)
    witnesses = witness.read_witnesses(sources)
    links, finding = verify_chain(connection)
    if finding is None:
        problem, roots, seals = check_tree(connection, witness.witness_sizes(witnesses))
        finding = None if problem is None else Finding("tree", problem)
    if finding is None:
        agreeing, finding = witness.verify_witnesses(
            witnesses, witness.keys().trusted, roots, seals
        )
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
        + (f"; {agreeing} signed heads kept outside agree with today's tree" if witnesses else "")
    )


@audit_cli.command("head")
@click.option("--json", "as_json", is_flag=True, help="The signed head as one JSON line.")
def audit_head(as_json):
    """Print the signed head of today's Merkle tree, to keep outside the database."""
    head = witness.signed_head(db.session.connection())
    db.session.rollback()
    if as_json:
        click.echo(witness.head_text(head))
    else:
        click.echo(f"{head['size']} {head['root']} {head['time']} {head['key_id']}")


@audit_cli.command("digest")
def audit_digest():
    """Append today's signed head to AUDIT_DIGEST_DIR (also done every AUDIT_DIGEST_EVERY
    sealed transactions)."""
    directory = current_app.config.get("AUDIT_DIGEST_DIR")
    if not directory:
        raise click.ClickException("AUDIT_DIGEST_DIR is not configured")
    head = witness.signed_head(db.session.connection())
    db.session.rollback()
    witness.append_digest(directory, head)
    click.echo(f"{witness.digest_file(directory)}: {head['size']} {head['root']}")


@audit_cli.command("public-key")
def audit_public_key():
    """Print the public key that verifies the signed heads (to publish, and to give to
    whoever runs the offline verifier)."""
    click.echo(witness.keys().signing.public.text(), nl=False)


@audit_cli.command("new-key")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--algorithm", type=click.Choice(signing.ALGORITHMS), default=signing.ED25519, show_default=True
)
def audit_new_key(path, algorithm):
    """Write a new signing key to PATH (mode 0600; never overwrites)."""
    try:
        signing.generate_key_file(path, algorithm)
    except FileExistsError:
        raise click.ClickException(f"{path} exists; a key is never overwritten") from None
    click.echo(f"{path}: key {signing.load_signing_key(path).public.key_id} ({algorithm})")


def register_commands(app: Flask) -> None:
    app.cli.add_command(audit_cli)
    app.cli.add_command(reference_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
