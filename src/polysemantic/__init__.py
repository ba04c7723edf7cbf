"""polysemantic: the library behind the course on polysemanticity and superposition.

    from polysemantic import check, quiz, score, needs_answer   # in every exercise notebook
    from polysemantic import figures                            # every figure, one look

Where things are (a chapter's stem names its page, notebooks, code and tests):

    monosemanticity, polysemanticity, capacity,     the reference code of chapters 01-08,
    radio_stations, directions, superposition,      one module each, read top to bottom
    why_it_matters, sparse_autoencoders
    superposition_sweeps                            chapter 06's sweeps and their artifact
    questions.<stem>                                each chapter's graded questions
    course                                          the course's questions, in one list
    grading                                         the grading engine (knows no chapter)
    toy_training                                    the fast toy-model trainer and samplers
    language_model                                  the generated corpus and the tiny LM
    data, figures, viewer, progress                 shared by the chapters
    authoring                                       exercise generation, the book's extension
    cli                                             the `polysemantic` command
"""

__version__ = "0.1.0"
__all__ = ["check", "needs_answer", "quiz", "score"]


def __getattr__(name: str):
    """`check`, `quiz`, `score` and `needs_answer` load the course's questions on first use, so
    that importing a part of the library (`polysemantic.grading`, say) loads no chapter."""
    if name in __all__:
        from polysemantic import course

        return getattr(course, name)
    raise AttributeError(f"module 'polysemantic' has no attribute {name!r}")
