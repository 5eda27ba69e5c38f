"""Parse: raw page bytes -> text -> main article and its "Voir plus" teasers."""
