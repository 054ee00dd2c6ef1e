"""The model answers this copy of sprintlib does not hold.

The instructor's sprintlib holds every model answer. The students' copy (built by
`make student-repo`, autograder/student_repo.py) holds those of the sprints whose answers
are released (course.toml) and everything that no sprint asks students to write; each
layer or function of another sprint keeps its signature and ``__init__``, but its
computation raises ``ModelAnswerWithheld``, which names the sprint. The notebooks' checks
then compare with the expected values shipped with the students' copy
(sprintlib/grading/shipped.py) instead of running the reference.
"""
from __future__ import annotations

#: sprint -> what a student calls it; the sprints in course order
SPRINTS = {"sprint1_conv1d": "sprint 1", "sprint2_conv2d": "sprint 2", "sprint3_lenet": "sprint 3",
           "sprint4_rnn": "sprint 4"}
#: what this copy withholds: a class or function name -> its sprint (empty in the instructor's
#: copy; the students' build writes it)
WITHHELD: dict[str, str] = {}


class ModelAnswerWithheld(NotImplementedError):
    """A model answer of a sprint whose answers are not released yet was called."""

    def __init__(self, name: str, sprint: str):
        self.name, self.sprint = name, sprint
        label = SPRINTS.get(sprint, sprint)
        super().__init__(f"{name} is {label}'s problem: its model answer is released after {label} "
                         f"(write your own {name}, or use the one from your {label} notebook)")


def withheld(name: str) -> str | None:
    """The sprint whose model answer ``name`` (a class or function name) is, when this copy
    withholds it; None when it holds it."""
    return WITHHELD.get(name)


def where_from(*layers) -> str:
    """Which copy of each class a notebook uses, in a line each: sprintlib's (a model answer,
    released or not) or the notebook's own (a class the student defined). A notebook that
    builds on an earlier sprint's layers prints it, so that the student knows whose they run."""
    lines = []
    for cls in layers:
        name = getattr(cls, "__name__", repr(cls))
        sprint = WITHHELD.get(name)
        if not getattr(cls, "__module__", "").startswith("sprintlib"):
            lines.append(f"{name}: yours (defined in this notebook)")
        elif sprint is None:
            lines.append(f"{name}: sprintlib's")
        else:
            label = SPRINTS.get(sprint, sprint)
            lines.append(f"{name}: sprintlib's, not released yet ({label}'s problem): it comes with your copy "
                         f"of the course once {label}'s answers are released (git pull); or paste your own {name} "
                         f"from your {label} notebook at the top of the answer cell that uses it (a cell you "
                         f"add is not run when the notebook is graded)")
    return "\n".join(lines)
