"""Printable documents made from a user's cards and lectures: quiz PDFs (questions, then the answer
key) and study-guide PDFs (outline, key terms, cards, page references), written as jobs with fpdf2."""
