"""What the workshop handouts add to the chapters: pen-and-paper questions with
their answer keys, common misconceptions and the session plans.

The one source of all three: the participants' handouts print the questions, the
facilitator's guide prints the answers, the misconceptions and the plans. Keyed
by chapter stem (`chapters/<stem>.md`). Text is plain, with `$...$` for inline
maths in LaTeX (the handout builder translates it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PaperQuestion:
    question: str
    answer: str


QUESTIONS: dict[str, tuple[PaperQuestion, ...]] = {
    "01_monosemanticity": (
        PaperQuestion(
            "A neuron's responses to four features alone are 0, 3, 1 and 0. "
            "What is its monosemanticity score, and which feature does it encode?",
            "3 / (0 + 3 + 1 + 0) = 0.75; it encodes feature 1 (counting from 0).",
        ),
        PaperQuestion(
            "Six features, six neurons, and every row of the response matrix has one "
            "bright cell, but neuron 0's need not be under feature 0, and none need be 1. "
            "Why is this still a perfect dictionary?",
            "Nothing in the loss prefers one order or one scale: any permutation of the "
            "features, each at its own scale that the decoder undoes, reconstructs the "
            "input equally well.",
        ),
    ),
    "02_polysemanticity": (
        PaperQuestion(
            "A neuron's mean activation per domain is 4, 1, 1, 1, 1 over five domains. "
            "What is its domain purity? And for 1, 1, 1, 1, 1?",
            "4 / 8 = 0.5; and 1 / 5 = 0.2, the lowest purity possible with five domains.",
        ),
        PaperQuestion(
            "A neuron's 50 strongest contexts all come from one domain. Is it monosemantic?",
            "Not necessarily: its top contexts show only its strongest responses; weaker "
            "responses to other features (and features within the domain) can still be "
            "mixed in. Look at the whole activation distribution too.",
        ),
    ),
    "03_capacity": (
        PaperQuestion(
            "A layer has 6,400 MLP neurons and the model knows 1,000,000 concepts. "
            "How many concepts per neuron, at least, if all are stored in that layer?",
            "1,000,000 / 6,400 ≈ 156 concepts per neuron.",
        ),
        PaperQuestion(
            "The typical $|\\cos|$ between two random directions is about "
            "$\\sqrt{2/(\\pi d)}$. Estimate it for $d = 2$ and $d = 200$.",
            "d = 2: √(1/π) ≈ 0.56 (the formula is for large d; exactly, 2/π ≈ 0.64); "
            "d = 200: √(1/(100π)) ≈ 0.056, ten times smaller.",
        ),
    ),
    "04_radio_stations": (
        PaperQuestion(
            "Stations 1 and 2 are on air with $s_1 = s_2 = 1$; $d_3 \\cdot d_1 = 0.3$ and "
            "$d_3 \\cdot d_2 = -0.1$. What does tuning in to station 3 hear, linearly and "
            "with a threshold $t = 0.4$?",
            "Linearly 0.3 − 0.1 = 0.2 (pure interference); ReLU(0.2 − 0.4) = 0 with the "
            "threshold: silence, correctly.",
        ),
        PaperQuestion(
            "Why does the thresholded decoder fail when twenty of the hundred stations "
            "broadcast at once?",
            "Interference adds up over the stations on air: with twenty, the leaked sum "
            "often exceeds the threshold (false stations) or cancels a real one below it.",
        ),
    ),
    "05_directions": (
        PaperQuestion(
            "A concept points along $(0.6, 0.8)$ in the plane of two neurons. How much "
            "does each neuron fire for the concept at strength 1, and how strong is the "
            "concept in the activation $(3, 4)$?",
            "0.6 on neuron 1 and 0.8 on neuron 2; its strength is the projection "
            "0.6·3 + 0.8·4 = 5.",
        ),
        PaperQuestion(
            "Rotate a layer whose neurons are monosemantic by 45°. What happens to the "
            "neurons, and to reading concepts by projection?",
            "Each neuron now mixes the concepts (it becomes polysemantic), but projecting "
            "onto the rotated concept directions reads every concept exactly as before.",
        ),
    ),
    "06_superposition": (
        PaperQuestion(
            "Five features sit on a regular pentagon in 2 dimensions. What is the angle "
            "between neighbours, and each feature's dimensionality $D_i$?",
            "360° / 5 = 72°; the 5 features share 2 dimensions symmetrically, so D = 2/5 each.",
        ),
        PaperQuestion(
            "Dense features, two dimensions, five features of decreasing importance. "
            "What does the model do, and what changes when the features become sparse?",
            "Dense: the two most important features get orthogonal directions and the "
            "rest are dropped. Sparse: interference is rare, so it packs more features in "
            "superposition (antipodal pairs, then a pentagon).",
        ),
    ),
    "07_why_it_matters": (
        PaperQuestion(
            "A neuron answers to features 2, 4, 5 and 7. You ablate it to remove feature "
            "2. What else happens?",
            "Features 4, 5 and 7 lose part of their representation too: collateral "
            "damage. (Removing the neuron's resting activation can also shift features "
            "it seemed not to carry.)",
        ),
        PaperQuestion(
            "Feature 6 lights up no neuron in the response matrix. Is it absent from the "
            "model? How could you find it?",
            "No. In the chapter's model it is a drop on all four neurons, read back through "
            "a positive output bias; ReLU(W + b) only shows rises. Look at the signed "
            "weights, or train a probe with labels to find its direction.",
        ),
    ),
    "08_sparse_autoencoders": (
        PaperQuestion(
            "An SAE has 40 latents; on an input, latents 3 and 17 fire with 0.5 and 2.0, "
            "the rest are 0. What are L0 and the $L_1$ penalty for $\\lambda = 0.1$?",
            "L0 = 2 active latents; L1 penalty = 0.1 × (0.5 + 2.0) = 0.25.",
        ),
        PaperQuestion(
            "Why normalise the decoder's columns to unit length during training?",
            "Otherwise the model shrinks f and grows the decoder columns to make the L1 "
            "penalty as small as it likes without changing the reconstruction.",
        ),
    ),
}

MISCONCEPTIONS: dict[str, tuple[str, ...]] = {
    "01_monosemanticity": (
        "“Monosemantic means neuron 0 is feature 0.” The order and scale are arbitrary.",
        "“Real networks are like this.” The toy has as many neurons as features, by design.",
        "“The ReLU alone lines the neurons up.” Without the L1 penalty on the activations, "
        "none of the 16 models comes out clean.",
        "“A neuron lit for five features is mixed.” It may rest above zero and answer to "
        "one feature by going silent: read the change from rest.",
    ),
    "02_polysemanticity": (
        "“A polysemantic neuron is a badly trained one.” It is what a good compression does.",
        "“Top activations tell the whole story.” They show only the strongest responses.",
        "“A neuron that fires in every domain is polysemantic.” A perfect '@' detector "
        "does too: count the features it answers to, not the domains.",
    ),
    "03_capacity": (
        "“n dimensions hold only n directions.” Nearly orthogonal directions are far more.",
    ),
    "04_radio_stations": (
        "“Interference is noise that training removes.” It is the price of sharing, kept "
        "small by sparsity and thresholds.",
    ),
    "05_directions": (
        "“A neuron is a concept.” A neuron is an axis; concepts are directions.",
        "“Rotating the layer loses information.” Nothing is lost; only the axes stop matching.",
        "“Any trained layer has a privileged basis.” Only what treats the axes one by one (a "
        "ReLU, an L1 penalty, Adam) privileges them; the residual stream has none.",
    ),
    "06_superposition": (
        "“Superposition needs neurons.” The linear toy model has no privileged basis and "
        "is in superposition all the same.",
        "“More sparsity is always more superposition.” Importance decides too (phase diagram).",
    ),
    "07_why_it_matters": (
        "“Ablating the neuron tied to a feature removes that feature only.”",
        "“A feature that lights no neuron is not there.”",
    ),
    "08_sparse_autoencoders": (
        "“An SAE latent is a true feature.” It can split one or merge several: check it "
        "against known features.",
        "“Higher explained variance is always better.” Sparsity and interpretability trade "
        "against it.",
    ),
}


# Session plans: (chapter stem or "", minutes, what happens). A stem's row is timed
# against that chapter; "" rows are the welcome, breaks and wrap-up.
PLANS: dict[str, tuple[tuple[str, int, str], ...]] = {
    "90-minute session": (
        ("", 5, "Welcome; hand out the cheat sheet"),
        ("01_monosemanticity", 10, "The dictionary dream; pen-and-paper question 1"),
        ("02_polysemanticity", 10, "Show one polysemantic neuron in the book"),
        ("03_capacity", 10, "Counting argument; question 2 together"),
        ("04_radio_stations", 10, "Radio stations demo; question 1 in pairs"),
        ("05_directions", 10, "Concepts as directions; question 1"),
        ("06_superposition", 15, "Toy model and phase diagram; the pentagon question"),
        ("07_why_it_matters", 10, "Ablation and its collateral damage"),
        ("08_sparse_autoencoders", 10, "SAEs as the way out; exercises as homework"),
    ),
    "half-day workshop": (
        ("", 10, "Welcome, set-up check (make lab or Colab)"),
        ("01_monosemanticity", 20, "Exercises 1 and 2; both questions"),
        ("02_polysemanticity", 25, "Exercises 2 and 3"),
        ("03_capacity", 20, "Exercises 1 and 2; exercise 4 as homework"),
        ("04_radio_stations", 20, "Exercises 2 and 3"),
        ("", 15, "Break"),
        ("05_directions", 15, "Exercises 1 and 2; exercise 3 as homework"),
        ("06_superposition", 50, "Exercises 1 to 3 and 5; exercise 4 as homework"),
        ("07_why_it_matters", 25, "Exercises 1 and 2"),
        ("08_sparse_autoencoders", 30, "Exercises 1 to 3 and 5"),
        ("", 10, "Wrap-up: the course summary page; what to read next"),
    ),
}
