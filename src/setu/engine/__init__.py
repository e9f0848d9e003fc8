"""Pure numeric core: numpy/scipy only; no database, web or CLI imports (checked by .importlinter)."""
