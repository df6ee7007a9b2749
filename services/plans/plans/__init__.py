"""Plans: drafts each child's personal support plan against the national standards."""
