"""A participant's request to be removed from the archive."""
app_name = "consent"

urlpatterns: list = []
