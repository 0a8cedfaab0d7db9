"""Descent Lab's desktop app (PySide6 + pyqtgraph). It drives the headless engine and draws
what the engine recorded; it computes no optimizer maths itself."""
