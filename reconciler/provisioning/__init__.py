"""Terraform units through a provisioning repository, as Proton's self-managed provisioning.

    plan (Terraform units to create, update, delete)
      → changes   which unit folders differ from the base branch (pure)
      → git       one commit on the provisioning branch, pushed (GitPython)
      → forge     one pull / merge request opened or updated (reconciler.forges)
      → state     a provisioning deployment per unit written, IN_PROGRESS
    the team's CI runs Terraform, then notifies
      → notifications   SUCCEEDED / FAILED with outputs: history, conditions, outputs

``layout``, ``changes``, ``wording`` and ``payload`` are pure; ``repository`` is the git
edge; ``provisioner`` and ``notifications`` write the state store.
"""
