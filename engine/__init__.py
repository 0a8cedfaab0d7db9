"""Descent Lab's headless core: optimizers, schedules, the lock-step simulation, experiment
files, the trajectory CSV and the command line. Nothing here imports Qt."""
