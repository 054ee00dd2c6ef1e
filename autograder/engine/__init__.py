"""The grading engine of the course: one package behind every door.

Doors: ``make grade`` (autograder/grade.py: the whole class in parallel) and nbgrader's own
(`nbgrader autograde`, the formgrader's Autograde button, the hub term), which
autograder/nbgrader_config.py routes here (engine/nbgrader_door.py).

Phases, a module each, with typed values between them (engine/verdict.py):

    build               autograder/build.py: percent scripts -> source -> release, the gradebook
    expected records    session.expected_records -> runner.make_expected (the trusted run)
    rebuild             submission.py: the answers taken from a student's file, the notebook rebuilt
    run sandboxed       runner.grade -> execute.py (nbclient, limits) + sandbox.py (the kernel's world)
    judge               judge.py: records against the trusted run's -> verdict.PartVerdict
    gradebook           session.write_gradebook: scores into nbgrader's gradebook
    feedback            feedback.py: verdicts in words; nbgrader generate_feedback without hidden tests
    export              export.py: output/grades.csv, the grade table, the times

course.py reads the course's definition, ../course.toml (its id, the assignments and their
points, the default grading seed, the limits file, the files a copy of the course needs);
cache.py holds the keys of kept results. docs/architecture.md follows a run through them.
"""
