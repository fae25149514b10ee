"""aos: the interactive Lua shell of the AO computer, with its own embedded ao node."""

__version__ = "0.1.0"
