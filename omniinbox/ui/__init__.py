"""The desktop client: the only package that imports Qt."""
