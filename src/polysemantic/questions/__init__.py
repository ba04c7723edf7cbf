"""The course's graded questions, one module per chapter, named by the chapter's stem.

Each module declares its questions as data in a `QUESTIONS` tuple; importing it
registers nothing. `polysemantic.course` lists them all in one place.
"""
