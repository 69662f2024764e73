"""HTTP routes, one module per group; each exports `ROUTES`."""
