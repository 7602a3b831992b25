"""Enablement: training modules, completions and certifications."""
