"""Question groups: a trial's "readout questions" as one entity, generated from templates (the trial's endpoints and
arms), edited as drafts and published together; one page shows every member's community forecast."""
