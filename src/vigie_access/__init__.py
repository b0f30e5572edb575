"""vigie-access: the levée de doute service (issue 10); docs/levee-de-doute.md."""
