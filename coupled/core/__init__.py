"""Foundation layer: errors, safe file writing, option checking and the package version.

Everything else in the package may import from here; nothing here imports the rest.
"""
