"""Chat with one's lectures: retrieval (retrieval.py), the offline extractive answer (extractive.py), what a
model is given and how its citations are read (prompting.py), the stored conversations (conversations.py)
and the writer that streams answers over /ws (answering.py)."""
