"""The layer classes the sprints teach, one a file (fc.py, conv2d.py, ...); ``base.Layer``
holds the contract they share. Import them from ``sprintlib`` (``from sprintlib import Conv2d``)."""
