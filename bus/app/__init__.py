"""The bus's Faust application: thin agents over the plain logic in the other packages."""
