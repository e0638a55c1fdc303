"""Upload of results to the provincial management platform (issue 6)."""
