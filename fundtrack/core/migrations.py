"""Options shared by migrations/env.py and the test that models and migrations agree."""


def configure_kwargs(dialect_name: str) -> dict:
    return {
        "compare_type": True,
        "compare_server_default": False,
        # SQLite cannot ALTER constraints; batch mode recreates the table instead
        "render_as_batch": dialect_name == "sqlite",
    }
