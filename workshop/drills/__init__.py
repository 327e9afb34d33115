"""Analyst drills and playbook tests: train the SOC on each application's use cases.

Pure domain code (no store, no UI): drills are generated from use cases, the interview's
facts, the baseline profile and the rules' synthetic true-positive events
(:mod:`~workshop.drills.generate`); typed answers are scored against the key
(:mod:`~workshop.drills.scoring`); playbook checklists (:mod:`~workshop.drills.playbook`);
what is due again (:mod:`~workshop.drills.readiness`); the handout
(:mod:`~workshop.drills.handout`). ``workshop.services.drills`` reads and records them.
"""
