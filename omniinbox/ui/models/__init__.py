"""Qt item models of the desktop client (a file per model)."""
