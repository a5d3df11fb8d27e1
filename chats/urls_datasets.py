"""Dataset bundles and pseudonymised exports (downloads built by workers)."""
app_name = "datasets"

urlpatterns: list = []
