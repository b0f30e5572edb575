"""vigie-access: the levée de doute service; docs/levee-de-doute.md."""
