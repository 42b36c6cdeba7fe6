"""Users, roles and home regions; API tokens; the web login."""
