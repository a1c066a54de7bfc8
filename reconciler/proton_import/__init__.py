"""Taking over what AWS Proton left: its stacks, read back into Goldenpath specs.

Pure core: parsing Proton's spec files and stack tags, rendering units as Proton did,
recovering inputs by reading a live template against a render, and writing specs as text.
The cloud is read elsewhere (``reconciler.proton_scan``), never here.
"""
