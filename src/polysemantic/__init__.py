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

Importing the notebook helpers (`from polysemantic import check`, every exercise
notebook's setup cell) also puts torch on one thread, unless OMP_NUM_THREADS or
MKL_NUM_THREADS says otherwise: the course's models are small, and on a busy 2-core
laptop torch's default threads make a notebook's training loops several times
slower (benchmarks/exercise_budgets.py prints both). `torch.set_num_threads(n)`
after the setup cell undoes it.
"""

import os

__version__ = "0.1.0"
__all__ = ["check", "needs_answer", "quiz", "score"]
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
_threads_chosen = False


def small_models_on_one_thread() -> None:
    """Run torch on one thread (once), unless a thread variable of the environment
    chose a number: small models only pay for the threads' hand-offs."""
    global _threads_chosen
    if _threads_chosen:
        return
    _threads_chosen = True
    if not any(os.environ.get(name) for name in THREAD_VARIABLES):
        import torch

        torch.set_num_threads(1)


def __getattr__(name: str):
    """`check`, `quiz`, `score` and `needs_answer` load the course's questions on first use, so
    that importing a part of the library (`polysemantic.grading`, say) loads no chapter."""
    if name in __all__:
        from polysemantic import course

        small_models_on_one_thread()
        return getattr(course, name)
    raise AttributeError(f"module 'polysemantic' has no attribute {name!r}")
