"""Robot-specific task configurations (each sub-package registers its gym ids on import)."""
