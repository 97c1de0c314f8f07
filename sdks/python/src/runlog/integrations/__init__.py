"""Thin adapters from training frameworks' logging hooks to a `runlog.Run`: `keras.RunlogCallback`,
`lightning.RunlogLogger`, `transformers.RunlogCallback`. Each module imports its framework only when imported."""
