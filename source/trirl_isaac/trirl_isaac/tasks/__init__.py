"""Isaac Lab task definitions (registered with gymnasium on import)."""
