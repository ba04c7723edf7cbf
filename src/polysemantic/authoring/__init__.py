"""Tools for the course's authors: exercises generated from solutions
(exercises.py) and the book's Sphinx extension (book.py, book_static/)."""
