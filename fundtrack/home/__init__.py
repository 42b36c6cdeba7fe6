"""The home page and its dashboard of what waits for the signed-in user."""
