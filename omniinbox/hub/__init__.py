"""The team hub: a shared PostgreSQL database for team mode (see ``README.md`` beside this file).

Qt-free. ``schema`` creates and upgrades it (roles, grants, row-level security), ``worker`` runs
connectors into it and sends its outbox, ``locks``/``assignment``/``outbox`` are the Python faces
of its collaboration functions, ``changes`` is the feed replicas pull.
"""
