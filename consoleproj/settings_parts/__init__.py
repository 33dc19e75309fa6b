"""Self-contained blocks of consoleproj/settings.py (plain values, no dependency on other settings)."""
